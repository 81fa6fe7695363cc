"""The deterministic Haicheng demo dataset (示例数据): ``load_demo(engine)``."""

from importers.demo.loader import load_demo

__all__ = ["load_demo"]
