/* 海城民政一张图 — the 待办 count on every page's top bar: how many items the signed-in role has to act on.
 * Standalone (pages without hc-core.js carry it too); the link opens the list on /changes. */
(function () {
  'use strict';
  function show() {
    var link = document.getElementById('hc-todo');
    if (!link) { return; }
    fetch('/api/compliance/todo?limit=1', {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.by_topic.length) { return; }  // a role with no 待办 topic: nothing to show
        document.getElementById('hc-todo-count').textContent = String(data.count);
        link.title = data.by_topic.map(function (t) { return t.title + ' ' + t.count; }).join('，');
        link.classList.toggle('hc-todo-some', data.count > 0);
        link.hidden = false;
      })
      .catch(function () { /* offline or signed out: the bar stays as it is */ });
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', show); } else { show(); }
})();
