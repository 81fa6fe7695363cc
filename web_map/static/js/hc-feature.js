/* 海城民政一张图 — the feature page: attributes with Chinese labels (and 示例数据 for demo rows), a small
 * map, the history (who, when, why) with a restore button per version for those who may write.
 * Everything is fetched from the API at run time. */
(function () {
  'use strict';
  var HC = window.HC;
  var cfg = HC.pageConfig();
  var base = cfg.api + '/' + encodeURIComponent(cfg.layer.name);
  var url = base + '/features/' + cfg.id;
  var status = document.getElementById('hc-feature-status');
  var smallMapObject = null;

  function attributes(described, properties, retired) {
    var body = document.querySelector('#hc-attrs tbody');
    body.innerHTML = '';
    described.fields.forEach(function (f) {
      // provenance is stored as a code (demo, user, import): show what it means
      var value = HC.format(f.name === 'source' ? L.extend({}, f, {choices: cfg.sources}) : f, properties[f.name]);
      var warning = f.notice && properties[f.name];  // a warning about the record: stands out
      body.appendChild(HC.el('tr', {'data-field': f.name, 'class': warning ? 'hc-warning' : null},
        [HC.el('th', {text: f.label}), HC.el('td', {text: value})]));
    });
    var t = cfg.layer.title_field && properties[cfg.layer.title_field];
    var heading = document.getElementById('hc-feature-title');
    heading.textContent = (t || cfg.layer.title + ' ' + cfg.id);
    if (properties.source === cfg.demoSource) {
      heading.appendChild(HC.el('span', {'class': 'hc-demo', text: cfg.demoLabel,
        title: '演示用的合成数据，不是真实记录'}));
    }
    if (retired) { heading.appendChild(HC.el('span', {'class': 'hc-retired', text: '已注销'})); }
    document.title = (t || cfg.id) + ' — ' + cfg.layer.title;
  }

  function smallMap(geometry) {
    smallMapObject = smallMapObject || HC.smallMap('hc-small-map', {api: cfg.api, maxZoom: cfg.maxZoom,
      basemaps: cfg.basemaps, basemap: cfg.basemap});
    var base = cfg.layer.style.base;  // outline-only layers (townships, villages) look like the outlines around
    var c = smallMapObject.show(geometry, {color: base.fillOpacity === 0 ? null : base.color});
    var to = HC.projection(cfg.epsg4550), xy = to ? to(c.lng, c.lat) : null;
    document.getElementById('hc-feature-coords').textContent = '中心 经度 ' + c.lng.toFixed(6) + '° 纬度 ' +
      c.lat.toFixed(6) + '°' + (xy ? ' ｜ EPSG:4550 X ' + xy[0].toFixed(2) + ' Y ' + xy[1].toFixed(2) : '');
  }

  function restore(version, current) {
    var reason = HC.askRestoreReason(version);
    if (reason === null) { return; }
    HC.request('POST', url + '/restore' + (reason ? '?reason=' + encodeURIComponent(reason) : ''),
      {body: {version: version}, etag: '"' + current + '"'}).then(function (r) {
      if (r.ok) { HC.toast('已恢复至第 ' + version + ' 版', 'ok'); load(); }
      else if (r.status === 412) { HC.toast('此要素已被他人修改，已重新加载', 'error'); load(); }
      else { HC.toast(HC.message(r), 'error'); }
    });
  }

  function history(described, versions) {
    var labels = {geometry: '图形'};
    described.fields.forEach(function (f) { labels[f.name] = f.label; });
    var list = document.getElementById('hc-history');
    list.innerHTML = '';
    var current = versions[versions.length - 1];
    versions.slice().reverse().forEach(function (v) {
      var fields = v.changed_fields.map(function (n) { return labels[n] || n; }).join('、');
      var item = HC.el('li', {'data-version': v.version, 'data-operation': v.operation}, [
        HC.el('div', {'class': 'hc-history-head'}, [
          HC.el('strong', {text: '第 ' + v.version + ' 版 ' + v.operation_title}),
          HC.el('span', {'class': 'hc-history-when', text: HC.time(v.changed_at)}),
          HC.el('span', {'class': 'hc-history-who', text: v.changed_by_title || '（未记录）'})]),
        HC.el('div', {'class': 'hc-history-why', text: '原因：' + (v.reason || '（未填写）')}),
        fields ? HC.el('div', {'class': 'hc-muted', text: '修改：' + fields}) : null]);
      if (cfg.layer.write && v.version !== current.version && v.operation !== 'retire') {
        item.appendChild(HC.el('button', {type: 'button', 'data-restore': v.version, text: '恢复此版',
          onclick: function () { restore(v.version, current.version); }}));
      }
      list.appendChild(item);
    });
    return current;
  }

  function load() {
    return Promise.all([HC.describe(cfg.api, cfg.layer.name), HC.request('GET', url),
      HC.request('GET', url + '/history')]).then(function (all) {
      var described = all[0], feature = all[1], hist = all[2];
      var last = hist.ok && hist.data.versions.length ? history(described, hist.data.versions) : null;
      var shown = feature.ok ? feature.data : last;
      status.textContent = feature.ok ? '当前为第 ' + feature.data.properties.version + ' 版' : HC.message(feature);
      if (!shown) { return; }
      attributes(described, shown.properties, !feature.ok && last.operation === 'retire');
      if (shown.geometry) { smallMap(shown.geometry); }
    }).then(function () {
      document.body.setAttribute('data-loaded', String(Date.now()));
    }).catch(function (e) { status.textContent = '加载失败：' + e.message; });
  }

  HC.page('feature', load);
})();
