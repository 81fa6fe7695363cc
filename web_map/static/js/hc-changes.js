/* 海城民政一张图 — /changes: my 待办 list (acknowledge with a note, resolve) and the change report. */
(function () {
  'use strict';
  var HC = window.HC;

  function distances(item) {
    if (item.distance_before_m === null && item.distance_after_m === null) { return '—'; }
    var fmt = function (v) { return v === null ? '无' : v + ' 米'; };
    return fmt(item.distance_before_m) + ' → ' + fmt(item.distance_after_m) +
      (item.required_m !== null ? '（要求 ' + item.required_m + ' 米）' : '');
  }

  function act(item, action, note) {
    HC.request('POST', '/api/compliance/findings/' + item.id + '/' + action, {body: {note: note}})
      .then(function (result) {
        if (!result.ok) { HC.toast(HC.message(result), 'error'); return; }
        HC.toast(action === 'resolve' ? '已处理' : '已确认知悉', 'ok');
        loadTodo();
      });
  }

  function row(item) {
    var note = HC.el('input', {type: 'text', maxlength: '2000', placeholder: '说明', 'aria-label': '说明',
                               value: item.note || ''});
    var actions = item.state === 'resolved' ? [] : [
      note,
      HC.el('button', {type: 'button', class: 'hc-ack', onclick: function () { act(item, 'acknowledge', note.value); }},
            ['确认知悉']),
      HC.el('button', {type: 'button', class: 'hc-resolve', onclick: function () { act(item, 'resolve', note.value); }},
            ['已处理'])];
    var cause = item.cause_title ? item.cause_title + ' ' + item.cause_id : '—';
    return HC.el('tr', {'data-id': String(item.id)}, [
      HC.el('td', {}, [item.topic_title + '：' + item.kind_title]),
      HC.el('td', {}, [HC.el('a', {href: item.url}, [item.record_title + ' ' + item.record_id +
                                                     (item.record_name ? '（' + item.record_name + '）' : '')])]),
      HC.el('td', {}, [item.rule_label || '—']),
      HC.el('td', {}, [cause]),
      HC.el('td', {}, [distances(item)]),
      HC.el('td', {class: 'hc-basis'}, [item.basis || '—']),
      HC.el('td', {}, [item.state_title + (item.acted_by ? '（' + item.acted_by + '）' : '')]),
      HC.el('td', {}, actions)]);
  }

  function loadTodo() {
    return HC.request('GET', '/api/compliance/todo?limit=200').then(function (result) {
      var summary = document.getElementById('hc-todo-summary');
      var body = document.querySelector('#hc-todo-table tbody');
      body.textContent = '';
      if (!result.ok) { summary.textContent = HC.message(result); return; }
      var data = result.data;
      summary.textContent = data.by_topic.length ?
        data.by_topic.map(function (t) { return t.title + ' ' + t.count + ' 项待处理'; }).join('；') :
        '您的角色没有待办类别。';
      data.items.forEach(function (item) { body.appendChild(row(item)); });
      var count = document.getElementById('hc-todo-count');
      if (count) { count.textContent = String(data.count); }
    });
  }

  var kindTitles = {};
  function caused(map) {
    var keys = Object.keys(map);
    return keys.length ? keys.map(function (k) { return (kindTitles[k] || k) + ' ' + map[k]; }).join('；') : '—';
  }

  function query() {
    var since = document.getElementById('hc-since').value;
    var until = document.getElementById('hc-until').value;
    var q = 'since=' + encodeURIComponent(since + 'T00:00:00+08:00');
    if (until) { q += '&until=' + encodeURIComponent(until + 'T00:00:00+08:00'); }
    return q;
  }

  function loadChanges() {
    var q = query();
    document.getElementById('hc-changes-xlsx').href = '/api/changes?format=xlsx&' + q;
    document.getElementById('hc-changes-pdf').href = '/api/changes?format=pdf&' + q;
    return HC.request('GET', '/api/changes?' + q).then(function (result) {
      var layers = document.querySelector('#hc-layers-table tbody');
      var list = document.querySelector('#hc-changes-table tbody');
      layers.textContent = '';
      list.textContent = '';
      if (!result.ok) { HC.toast(HC.message(result), 'error'); return; }
      kindTitles = result.data.kind_titles;
      document.getElementById('hc-changes-note').textContent = result.data.note || '';
      result.data.layers.forEach(function (s) {
        layers.appendChild(HC.el('tr', {}, [HC.el('td', {}, [s.layer_title]), HC.el('td', {}, [String(s.changes)]),
          HC.el('td', {}, [String(s.features)]), HC.el('td', {}, [caused(s.caused)])]));
      });
      result.data.changes.forEach(function (c) {
        list.appendChild(HC.el('tr', {}, [HC.el('td', {}, [String(c.id)]), HC.el('td', {}, [c.layer_title]),
          HC.el('td', {}, [c.feature_id + (c.version ? ' 第 ' + c.version + ' 版' : '')]),
          HC.el('td', {}, [c.operation_title]), HC.el('td', {}, [HC.time(c.changed_at)]),
          HC.el('td', {}, [c.changed_by_title || '']), HC.el('td', {}, [c.reason || '']),
          HC.el('td', {}, [caused(c.caused) + (c.processed ? '' : '（复核中）')])]));
      });
    });
  }

  HC.page('changes', function () {
    var month = new Date(Date.now() - 30 * 86400000);
    document.getElementById('hc-since').value = month.toISOString().slice(0, 10);
    document.getElementById('hc-changes-form').addEventListener('submit', function (event) {
      event.preventDefault();
      loadChanges();
    });
    return Promise.all([loadTodo(), loadChanges()]);
  }).then(function () { HC.ready = true; });
})();
