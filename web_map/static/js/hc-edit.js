/* 海城民政一张图 — editing: forms from the layer schema, save with If-Match, the 412 conflict dialog,
 * drawing and vertex editing with Leaflet-Geoman (snapping on), retire with a reason, history and
 * restore, and geometry errors from the API shown where they are. */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};
  var cfg, map, errorLayer, editLayer = null;

  function featureUrl(layer, id) {
    return cfg.api + '/' + encodeURIComponent(layer) + '/features' + (id ? '/' + id : '');
  }

  /* ---- form generated from GET /api/layers/{layer} ------------------------------------------ */
  function input(field, value) {
    var name = field.name, choices = field.choices;
    if (field.type === 'array' && choices) {
      var chosen = Array.isArray(value) ? value : [];
      return HC.el('div', {'class': 'hc-checks', 'data-field': name}, Object.keys(choices).map(function (k) {
        return HC.el('label', {}, [HC.el('input', {type: 'checkbox', value: k, checked: chosen.indexOf(k) >= 0}),
          choices[k]]);
      }));
    }
    if (choices) {
      var select = HC.el('select', {name: name}, [HC.el('option', {value: '', text: '（未填）'})]);
      Object.keys(choices).forEach(function (k) {
        select.appendChild(HC.el('option', {value: k, text: choices[k], selected: value === k}));
      });
      return select;
    }
    if (field.type === 'boolean') { return HC.el('input', {type: 'checkbox', name: name, checked: !!value}); }
    if (field.type === 'object' || field.type === 'array') {
      return HC.el('textarea', {name: name, rows: 3, placeholder: 'JSON'}, [value ? JSON.stringify(value) : '']);
    }
    var type = {integer: 'number', number: 'number', date: 'date', datetime: 'datetime-local'}[field.type] || 'text';
    return HC.el('input', {type: type, name: name, step: field.type === 'number' ? 'any' : null,
      value: value === null || value === undefined ? '' : String(value).slice(0, type === 'datetime-local' ? 16 : 999)});
  }

  function editable(described) {
    return described.fields.filter(function (f) { return !f.system && !f.hidden && !f.derived; })
      .concat(described.input_fields || []);
  }

  function buildForm(described, values) {
    var form = HC.el('form', {'class': 'hc-form', novalidate: true});
    editable(described).forEach(function (f) {
      var label = f.label + (f.unit ? '（' + f.unit + '）' : '') + (f.required ? ' *' : '');
      form.appendChild(HC.el('div', {'class': 'hc-row', 'data-row': f.name}, [
        HC.el('label', {text: label}), input(f, values[f.name]),
        HC.el('div', {'class': 'hc-field-error', 'data-error-for': f.name})]));
    });
    form.appendChild(HC.el('div', {'class': 'hc-row'}, [HC.el('label', {text: '修改原因'}),
      HC.el('input', {type: 'text', name: '__reason', maxlength: 500, placeholder: '写入历史记录（可选）'})]));
    form.appendChild(HC.el('div', {'class': 'hc-form-error', role: 'alert'}));
    form.addEventListener('submit', function (e) { e.preventDefault(); });
    return form;
  }

  function readForm(form, described) {
    var out = {};
    editable(described).forEach(function (f) {
      var group = form.querySelector('[data-field="' + f.name + '"]');
      if (group) {
        out[f.name] = Array.prototype.map.call(group.querySelectorAll('input:checked'), function (i) { return i.value; });
        return;
      }
      var node = form.elements[f.name];
      if (!node) { return; }
      var v = node.value;
      if (f.type === 'boolean') { out[f.name] = node.checked; }
      else if (v === '') { out[f.name] = null; }
      else if (f.type === 'integer') { out[f.name] = /^-?\d+$/.test(v) ? parseInt(v, 10) : v; }
      else if (f.type === 'number') { out[f.name] = isNaN(Number(v)) ? v : Number(v); }
      else if (f.type === 'object' || f.type === 'array') {
        try { out[f.name] = JSON.parse(v); } catch (err) { out[f.name] = v; }
      } else { out[f.name] = v; }
    });
    return out;
  }

  function changed(values, original) {
    var out = {};
    Object.keys(values).forEach(function (k) {
      var before = original[k] === undefined ? null : original[k];
      if (JSON.stringify(values[k]) !== JSON.stringify(before)) { out[k] = values[k]; }
    });
    return out;
  }

  /* A 4xx body: the message on top, each problem under its field, a marker where the geometry is wrong. */
  function showErrors(form, result) {
    form.querySelectorAll('.hc-field-error').forEach(function (n) { n.textContent = ''; });
    form.querySelector('.hc-form-error').textContent = HC.message(result);
    var body = result.data || {};
    (body.problems || []).forEach(function (p) {
      var slot = form.querySelector('[data-error-for="' + p.field + '"]');
      if (slot) { slot.textContent = p.message; }
    });
    if (body.field && !body.problems) {
      var one = form.querySelector('[data-error-for="' + body.field + '"]');
      if (one) { one.textContent = body.message; }
    }
    showGeometryError(body);
  }

  function showGeometryError(body) {
    errorLayer.clearLayers();
    if (!body || !Array.isArray(body.location)) { return; }
    var latlng = L.latLng(body.location[1], body.location[0]);
    L.circleMarker(latlng, {radius: 10, color: '#d00000', weight: 3, fillOpacity: 0.2, className: 'hc-geom-error'})
      .bindTooltip(HC.esc(body.message), {permanent: true, direction: 'top', className: 'hc-error-tip'}).addTo(errorLayer);
    map.panTo(latlng);
  }

  /* ---- edit attributes --------------------------------------------------------------------- */
  function load(layer, id) {
    return Promise.all([HC.describe(cfg.api, layer), HC.request('GET', featureUrl(layer, id))]);
  }

  function openForm(layer, id, reapply) {
    load(layer, id).then(function (all) {
      var described = all[0], got = all[1];
      if (!got.ok) { HC.toast(HC.message(got), 'error'); return; }
      var original = got.data.properties, values = L.extend({}, original, reapply || {});
      var form = buildForm(described, values);
      HC.dialog.open('编辑' + described.title + '（第 ' + original.version + ' 版）', form, [
        {text: '保存', primary: true, action: 'save', onclick: function () {
          var props = changed(readForm(form, described), original);
          if (!Object.keys(props).length) { HC.toast('没有修改'); HC.dialog.close(); return; }
          save(layer, id, got.etag, {type: 'Feature', properties: props}, form.elements.__reason.value, form)
            .then(function (r) {
              if (r && r.status === 412) { conflict(layer, id, props); }
            });
        }},
        {text: '取消', onclick: HC.dialog.close}
      ], 'hc-edit-dialog');
    }).catch(function (e) { HC.toast(e.message, 'error'); });
  }

  function save(layer, id, etag, body, reason, form) {
    var url = featureUrl(layer, id) + (reason ? '?reason=' + encodeURIComponent(reason) : '');
    return HC.request('PATCH', url, {body: body, etag: etag}).then(function (r) {
      if (r.ok) {
        HC.dialog.close(); errorLayer.clearLayers();
        HC.toast('已保存（第 ' + r.data.properties.version + ' 版）', 'ok');
        HC.layers.refresh(layer);
      } else if (r.status !== 412) {
        if (form) { showErrors(form, r); } else { HC.toast(HC.message(r), 'error'); showGeometryError(r.data); }
      }
      return r;
    });
  }

  function conflict(layer, id, mine, onReapply) {
    var body = HC.el('div', {'class': 'hc-conflict'}, [
      HC.el('p', {'class': 'hc-conflict-title', text: '此要素已被他人修改'}),
      HC.el('p', {text: '您编辑期间，别人保存了新的版本。可以重新加载最新内容，或在最新内容上重新应用您的修改后再保存。'})]);
    HC.dialog.open('保存冲突', body, [
      {text: '重新加载并重新应用我的修改', primary: true, action: 'reapply', onclick: function () {
        if (onReapply) { onReapply(); } else { openForm(layer, id, mine); }
      }},
      {text: '重新加载（放弃我的修改）', action: 'reload', onclick: function () {
        HC.layers.refresh(layer);
        if (onReapply) { HC.dialog.close(); stopGeometry(); } else { openForm(layer, id); }
      }},
      {text: '取消', onclick: HC.dialog.close}
    ], 'hc-conflict-dialog');
  }

  /* ---- geometry: vertex editing and drawing with Geoman --------------------------------------- */
  function floatBar(text, buttons) {
    var bar = document.getElementById('hc-bar-float');
    bar.innerHTML = '';
    bar.appendChild(HC.el('span', {text: text}));
    buttons.forEach(function (b) {
      bar.appendChild(HC.el('button', {type: 'button', 'class': b.primary ? 'hc-primary' : '', text: b.text,
        'data-action': b.action, onclick: b.onclick}));
    });
    bar.hidden = false;
  }

  function stopGeometry() {
    HC.mode.clear();
    if (editLayer) { editLayer.pm && editLayer.pm.disable(); map.removeLayer(editLayer); editLayer = null; }
    if (map.pm) { map.pm.disableDraw(); }
    document.getElementById('hc-bar-float').hidden = true;
  }

  function editGeometry(layer, id) {
    stopGeometry();
    HC.request('GET', featureUrl(layer, id)).then(function (got) {
      if (!got.ok) { HC.toast(HC.message(got), 'error'); return; }
      var spec = HC.layers.get(layer);
      editLayer = L.geoJSON(got.data, {pane: 'hc-edit', pmIgnore: false,
        style: function () { return {color: '#ff00ff', weight: 3, fillOpacity: 0.1}; },
        pointToLayer: function (f, latlng) { return L.marker(latlng, {pane: 'hc-edit'}); }}).addTo(map);
      HC.mode.set('edit-geometry');
      editLayer.eachLayer(function (l) { l.pm.enable({snappable: true, snapDistance: 15, allowSelfIntersection: true}); });
      floatBar('拖动节点修改“' + spec.title + '”的图形（可吸附到其他要素）', [
        {text: '保存图形', primary: true, action: 'save-geometry', onclick: function () {
          var geometry = editLayer.getLayers()[0].toGeoJSON(9).geometry;
          save(layer, id, got.etag, {type: 'Feature', geometry: geometry}).then(function (r) {
            if (r.ok) { stopGeometry(); } else if (r.status === 412) {
              conflict(layer, id, null, function () { HC.dialog.close(); stopGeometry(); editGeometry(layer, id); });
            }
          });
        }},
        {text: '取消', action: 'cancel-geometry', onclick: stopGeometry}
      ]);
    });
  }

  var DRAW = {point: 'Marker', line: 'Line', polygon: 'Polygon'};

  /* Layers with a registration page of their own (place names: naming rules, status) are not drawn
   * here: their item leads to that page. */
  function chooseLayer() {
    var writable = (cfg.layers || []).filter(function (l) { return l.write; });
    var list = HC.el('div', {'class': 'hc-choose'}, writable.map(function (l) {
      var page = (cfg.newFeaturePages || {})[l.name];
      if (page) {
        return HC.el('a', {'class': 'hc-choose-page', href: page.href, 'data-new-layer': l.name},
          [l.title + '（' + l.theme + '）', HC.el('small', {text: page.note})]);
      }
      return HC.el('button', {type: 'button', 'data-new-layer': l.name, text: l.title + '（' + l.theme + '）',
        onclick: function () { HC.dialog.close(); startDraw(l.name); }});
    }));
    HC.dialog.open('新建要素：选择图层', list, [{text: '取消', onclick: HC.dialog.close}]);
  }

  function startDraw(layer) {
    stopGeometry();
    var spec = HC.layers.get(layer), k = HC.layers.kind(spec.geometry_type);
    HC.mode.set('draw');
    map.pm.enableDraw(DRAW[k], {snappable: true, snapDistance: 15, continueDrawing: false});
    floatBar('在地图上绘制新的“' + spec.title + '”' + (k === 'point' ? '（点击放置）' : '（单击加点，点击首点或末点结束）'),
      [{text: '取消', action: 'cancel-draw', onclick: stopGeometry}]);
    map.once('pm:create', function (e) {
      HC.mode.clear();
      editLayer = e.layer;
      document.getElementById('hc-bar-float').hidden = true;
      createForm(layer, e.layer.toGeoJSON(9).geometry);
    });
  }

  /* Closing the form in any way (×, Esc, 取消) drops the unsaved drawing and ends drawing mode. */
  function createForm(layer, geometry) {
    HC.describe(cfg.api, layer).then(function (described) {
      var form = buildForm(described, {});
      HC.dialog.open('新建' + described.title, form, [
        {text: '保存', primary: true, action: 'save', onclick: function () {
          var values = readForm(form, described), props = {};
          Object.keys(values).forEach(function (k) { if (values[k] !== null) { props[k] = values[k]; } });
          var reason = form.elements.__reason.value;
          HC.request('POST', featureUrl(layer) + (reason ? '?reason=' + encodeURIComponent(reason) : ''),
            {body: {type: 'Feature', geometry: geometry, properties: props}}).then(function (r) {
            if (r.ok) {
              HC.dialog.close(); errorLayer.clearLayers();
              HC.toast('已新建“' + described.title + '” 编号 ' + r.data.id, 'ok');
              HC.layers.setVisible(layer, true); HC.layers.refresh(layer);
            } else { showErrors(form, r); }
          });
        }},
        {text: '取消', onclick: HC.dialog.close}
      ], 'hc-edit-dialog', stopGeometry);
    }).catch(function (e) { stopGeometry(); HC.toast(e.message, 'error'); });
  }

  /* ---- retire, history, restore ---------------------------------------------------------- */
  function retire(layer, id) {
    var reason = HC.el('textarea', {name: 'reason', rows: 3, placeholder: '必填：注销原因（写入历史，可恢复）'});
    var error = HC.el('div', {'class': 'hc-form-error', role: 'alert'});
    HC.dialog.open('注销要素 ' + id, HC.el('div', {}, [reason, error]), [
      {text: '注销', primary: true, action: 'retire', onclick: function () {
        if (!reason.value.trim()) { error.textContent = '请填写注销原因'; return; }
        HC.request('GET', featureUrl(layer, id)).then(function (got) {
          if (!got.ok) { error.textContent = HC.message(got); return null; }
          return HC.request('DELETE', featureUrl(layer, id) + '?reason=' + encodeURIComponent(reason.value.trim()),
            {etag: got.etag});
        }).then(function (r) {
          if (!r) { return; }
          if (r.ok) { HC.dialog.close(); HC.toast('已注销，可在历史中恢复', 'ok'); HC.layers.refresh(layer); }
          else { error.textContent = HC.message(r); }
        });
      }},
      {text: '取消', onclick: HC.dialog.close}
    ]);
  }

  function history(layer, id) {
    Promise.all([HC.describe(cfg.api, layer), HC.request('GET', featureUrl(layer, id) + '/history')])
      .then(function (all) {
        var described = all[0], r = all[1];
        if (!r.ok) { HC.toast(HC.message(r), 'error'); return; }
        var labels = {geometry: '图形'};
        described.fields.forEach(function (f) { labels[f.name] = f.label; });
        var versions = r.data.versions, current = versions[versions.length - 1].version;
        var list = HC.el('ol', {'class': 'hc-history'}, versions.slice().reverse().map(function (v) {
          var fields = v.changed_fields.map(function (n) { return labels[n] || n; }).join('、');
          var item = HC.el('li', {}, [HC.el('strong', {text: '第 ' + v.version + ' 版 ' + v.operation_title}),
            ' ' + HC.time(v.changed_at) + ' ' + (v.changed_by_title || ''),
            v.reason ? HC.el('div', {text: '原因：' + v.reason}) : null,
            fields ? HC.el('div', {'class': 'hc-muted', text: '修改：' + fields}) : null]);
          if (HC.layers.get(layer).write && v.version !== current && v.operation !== 'retire') {
            item.appendChild(HC.el('button', {type: 'button', 'data-restore': v.version, text: '恢复此版',
              onclick: function () { restore(layer, id, v.version, current); }}));
          }
          return item;
        }));
        HC.dialog.open(described.title + ' ' + id + ' 的历史', list, [{text: '关闭', onclick: HC.dialog.close}]);
      });
  }

  function restore(layer, id, version, current) {
    var reason = HC.askRestoreReason(version);
    if (reason === null) { return; }
    HC.request('POST', featureUrl(layer, id) + '/restore' + (reason ? '?reason=' + encodeURIComponent(reason) : ''),
      {body: {version: version}, etag: '"' + current + '"'})
      .then(function (r) {
        if (r.ok) { HC.dialog.close(); HC.toast('已恢复至第 ' + version + ' 版', 'ok'); HC.layers.refresh(layer); }
        else if (r.status === 412) { HC.toast('此要素已被他人修改，请重新打开历史', 'error'); }
        else { HC.toast(HC.message(r), 'error'); }
      });
  }

  HC.edit = {
    init: function (theMap, config) {
      map = theMap; cfg = config;
      map.createPane('hc-edit').style.zIndex = 450;  // above the layers, below Geoman's vertex markers (600)
      errorLayer = L.layerGroup().addTo(map);
      if (map.pm) {
        map.pm.setLang('zh');
        map.pm.setGlobalOptions({snappable: true, snapDistance: 15});
      }
      var button = document.getElementById('hc-btn-new');
      if (button) { button.addEventListener('click', chooseLayer); }
      document.addEventListener('keydown', function (e) {  // Esc ends drawing or reshaping, like 取消
        if (e.key === 'Escape' && ['draw', 'edit-geometry'].indexOf(HC.mode.current()) >= 0) { stopGeometry(); }
      });
    },
    action: function (act, layer, id) {
      if (act === 'edit') { openForm(layer, id); }
      else if (act === 'geometry') { editGeometry(layer, id); }
      else if (act === 'retire') { retire(layer, id); }
      else if (act === 'history') { history(layer, id); }
    },
    startDraw: startDraw,
    showGeometryError: showGeometryError
  };
})();
