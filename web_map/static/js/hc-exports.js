/* 海城民政一张图 — the export menu of each layer in the layer list: format, range (the map's view or all),
 * one attribute filter, a progress bar while the server makes the file and it downloads, then the file is
 * saved under the name the server gives it (GET /api/layers/{layer}/export). */
(function () {
  'use strict';
  var HC = window.HC = window.HC || {};

  var FORMATS = [
    ['xlsx', 'Excel 表格（XLSX）'], ['csv', 'CSV 表格'], ['gpkg', 'GeoPackage（GIS 软件）'],
    ['shp', 'Shapefile 压缩包（GIS 软件）'], ['geojson', 'GeoJSON'], ['kml', 'KML（奥维、Google 地球）']
  ];
  var ENCODED = ['csv', 'shp'];  // the formats with a GBK choice for old desktop tools

  function select(id, options) {
    return HC.el('select', {id: id}, options.map(function (o) { return HC.el('option', {value: o[0], text: o[1]}); }));
  }

  function row(label, control, id) {
    return HC.el('p', {'class': 'hc-field', 'data-row': id || null},
      [HC.el('label', {'for': control.id, text: label}), ' ', control]);
  }

  /* the filename of a Content-Disposition header: the UTF-8 one (filename*), else the ASCII one */
  function filename(header, fallback) {
    var utf = /filename\*=UTF-8''([^;]+)/i.exec(header || ''), plain = /filename="([^"]+)"/.exec(header || '');
    return utf ? decodeURIComponent(utf[1]) : plain ? plain[1] : fallback;
  }

  function kb(n) { return n < 1024 * 1024 ? Math.ceil(n / 1024) + ' KB' : (n / 1024 / 1024).toFixed(1) + ' MB'; }

  /* fetch the file, reading it piece by piece to show how much has come; resolves {blob, name} */
  function download(url, progress, status) {
    return fetch(url, {credentials: 'same-origin'}).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (body) { throw new Error(body.message || ('导出失败（' + response.status + '）')); },
          function () { throw new Error('导出失败（' + response.status + '）'); });
      }
      var total = Number(response.headers.get('Content-Length')) || 0, got = 0, parts = [];
      var name = filename(response.headers.get('Content-Disposition'), 'export');
      var reader = response.body.getReader();
      progress.max = total || 1;
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { return {blob: new Blob(parts), name: name}; }
          parts.push(chunk.value);
          got += chunk.value.length;
          if (total) { progress.value = got; }
          status.textContent = '正在下载 ' + kb(got) + (total ? ' / ' + kb(total) : '');
          return pump();
        });
      }
      return pump();
    });
  }

  function save(file) {
    var href = URL.createObjectURL(file.blob);
    var link = HC.el('a', {href: href, download: file.name, hidden: true});
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(href); link.remove(); }, 1000);
  }

  /* the query of the dialog's choices */
  function query(layer, bbox) {
    var format = document.getElementById('hc-export-format').value;
    var params = new URLSearchParams({format: format});
    if (ENCODED.indexOf(format) >= 0) { params.set('encoding', document.getElementById('hc-export-encoding').value); }
    if (document.getElementById('hc-export-range').value === 'view' && bbox) { params.set('bbox', bbox); }
    var field = document.getElementById('hc-export-field'), value = document.getElementById('hc-export-value');
    if (field && field.value && value.value) { params.set(field.value, value.value); }
    return params;
  }

  function open(layer, bbox) {
    var filterable = (layer.fields || []).filter(function (f) { return f.choices && Object.keys(f.choices).length; });
    var fieldSelect = null, valueSelect = null;
    var body = HC.el('div', {'class': 'hc-export', 'data-layer': layer.name}, [
      row('文件格式', select('hc-export-format', FORMATS)),
      row('编码', select('hc-export-encoding', [['utf-8', 'UTF-8（推荐）'], ['gbk', 'GBK（旧版桌面软件）']]), 'encoding'),
      row('范围', select('hc-export-range', [['view', '当前地图范围'], ['all', '全部']]))
    ]);
    if (filterable.length) {
      fieldSelect = select('hc-export-field', [['', '不筛选']].concat(filterable.map(function (f) { return [f.name, f.label]; })));
      valueSelect = HC.el('select', {id: 'hc-export-value', disabled: true});
      fieldSelect.addEventListener('change', function () {
        var f = filterable.filter(function (x) { return x.name === fieldSelect.value; })[0];
        valueSelect.innerHTML = '';
        valueSelect.disabled = !f;
        Object.keys(f ? f.choices : {}).forEach(function (code) {
          valueSelect.appendChild(HC.el('option', {value: code, text: f.choices[code]}));
        });
      });
      body.appendChild(row('筛选', fieldSelect));
      body.appendChild(row('取值', valueSelect));
    }
    if (layer.personal) {
      body.appendChild(HC.el('p', {'class': 'hc-muted', text: '个人信息已脱敏；导出记入审计日志。'}));
    }
    var progress = HC.el('progress', {id: 'hc-export-progress', hidden: true});
    var status = HC.el('p', {id: 'hc-export-status', 'class': 'hc-muted', role: 'status', 'aria-live': 'polite'});
    body.appendChild(progress);
    body.appendChild(status);
    function syncEncoding() {
      var encoded = ENCODED.indexOf(document.getElementById('hc-export-format').value) >= 0;
      body.querySelector('[data-row="encoding"]').style.display = encoded ? '' : 'none';  // (hidden loses to the flex rule)
    }
    var running = false;
    function start(e) {
      if (running) { return; }
      running = true;
      var button = e.target;
      button.disabled = true;
      progress.hidden = false;
      progress.removeAttribute('value');  // indeterminate while the server makes the file
      status.textContent = '正在生成文件…';
      var url = '/api/layers/' + encodeURIComponent(layer.name) + '/export?' + query(layer, bbox).toString();
      download(url, progress, status).then(function (file) {
        save(file);
        status.textContent = '已导出：' + file.name + '（' + kb(file.blob.size) + '）';
        status.dataset.done = file.name;
      }, function (error) {
        progress.hidden = true;
        status.textContent = '';
        HC.toast(error.message, 'error');
      }).then(function () { running = false; button.disabled = false; });
    }
    HC.dialog.open('导出“' + layer.title + '”', body, [
      {text: '导出', primary: true, action: 'export', onclick: start},
      {text: '关闭', onclick: HC.dialog.close}
    ], 'hc-export-dialog');
    document.getElementById('hc-export-format').addEventListener('change', syncEncoding);
    syncEncoding();
  }

  HC.exports = {open: open};
})();
