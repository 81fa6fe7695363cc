/* The import page: upload → poll the dry run's progress → report → commit (API: /api/layers/{layer}/imports). */
(function () {
  'use strict';
  var HC = window.HC;
  var config = HC.pageConfig();
  var $ = function (id) { return document.getElementById(id); };
  if (!config.layer) { HC.page('import', function () { HC.ready = true; }); return; }
  var base = '/api/layers/' + encodeURIComponent(config.layer.name) + '/imports';
  var current = null;

  function showProgress(body) {
    $('im-status').hidden = false;
    $('im-state').textContent = body.status_title || '';
    var total = body.total || 0;
    $('im-progress').max = Math.max(total, 1);
    $('im-progress').value = body.processed || 0;
    $('im-progress-text').textContent = (body.processed || 0) + ' / ' + total + ' 行';
  }

  function showReport(body) {
    var report = body.report || {};
    var counts = report.counts || {};
    $('im-report').hidden = false;
    $('im-summary').textContent = '格式 ' + (report.format || '—') + '，编码 ' + (report.encoding || '—') +
      '，坐标系 ' + (report.crs || '—') + '。共 ' + (counts.rows || 0) + ' 行：新建 ' + (counts.insert || 0) +
      '，更新 ' + (counts.update || 0) + '，不变 ' + (counts.unchanged || 0) + '，有问题 ' + (counts.problem_rows || 0) + ' 行。';
    var fill = function (id, items) {
      var list = $(id);
      list.textContent = '';
      (items || []).forEach(function (text) { list.appendChild(HC.el('li', {text: text})); });
    };
    fill('im-notes', report.notes);
    fill('im-file-problems', report.file_problems);
    var rows = $('im-problems').querySelector('tbody');
    rows.textContent = '';
    (report.problems || []).forEach(function (p) {
      rows.appendChild(HC.el('tr', {}, [HC.el('td', {text: String(p.row)}), HC.el('td', {text: p.field}),
                                       HC.el('td', {text: p.message})]));
    });
    $('im-commit').disabled = !(report.ok && body.status === 'checked');
  }

  function poll(id, until) {
    return HC.request('GET', base + '/' + id).then(function (result) {
      if (!result.ok) { throw new Error(HC.message(result)); }
      showProgress(result.data);
      if (until(result.data)) { return result.data; }
      return new Promise(function (resolve) { setTimeout(resolve, config.pollMs); }).then(function () {
        return poll(id, until);
      });
    });
  }

  function loadMappings() {
    return HC.request('GET', base + '/options').then(function (result) {
      if (!result.ok) { return; }
      (result.data.mappings || []).forEach(function (m) {
        $('im-mapping').appendChild(HC.el('option', {value: m.name, text: m.name}));
      });
    });
  }

  $('im-form').addEventListener('submit', function (e) {
    e.preventDefault();
    $('im-error').textContent = '';
    var file = $('im-file').files[0];
    if (!file) { $('im-error').textContent = '请选择文件'; return; }
    var form = new FormData();
    form.append('file', file);
    if ($('im-crs').value) { form.append('crs', $('im-crs').value); }
    if ($('im-mapping').value) { form.append('mapping_name', $('im-mapping').value); }
    $('im-check').disabled = true;
    $('im-report').hidden = true;
    fetch(base, {method: 'POST', body: form, credentials: 'same-origin',
                 headers: {'X-CSRF-Token': HC.csrfToken(), 'Accept': 'application/json'}})
      .then(function (response) { return response.json().then(function (data) { return {ok: response.ok, data: data}; }); })
      .then(function (result) {
        if (!result.ok) { throw new Error(result.data.message || '上传失败'); }
        current = result.data.id;
        return poll(current, function (body) { return body.status !== 'checking'; });
      })
      .then(showReport)
      .catch(function (err) { $('im-error').textContent = err.message; })
      .then(function () { $('im-check').disabled = false; });
  });

  $('im-commit').addEventListener('click', function () {
    if (current === null) { return; }
    var id = current;
    var done = false;
    $('im-commit').disabled = true;
    HC.request('POST', base + '/' + id + '/commit').then(function (result) {
      done = true;
      if (!result.ok) { HC.toast(HC.message(result), 'error'); return; }
      showProgress(result.data);
      var r = result.data.result || {};
      HC.toast('已导入：新建 ' + r.insert + '，更新 ' + r.update + '，不变 ' + r.unchanged, 'ok');
    });
    poll(id, function (body) { return done || body.status !== 'committing'; }).catch(function () {});
  });

  HC.page('import', loadMappings).then(function () { HC.ready = true; });
})();
