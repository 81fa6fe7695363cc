/* 海城民政一张图 — the coverage page's on-demand sections (loaded when their <details> is opened, their
 * map layers shown only while it is open): shelters (capacity against the people within reach, over
 * capacity highlighted, villages and townships no shelter reaches), care facilities (beds, residents,
 * occupancy; 特困集中供养 beds against demand per township), child welfare (villages without a 儿童主任,
 * townships without a 儿童督导员, the masked officers list, adding and retiring an officer for the case
 * office), and — for the case office only — household points coloured covered / uncovered with masked
 * popups. Other roles never get household points: they keep the aggregated choropleth.
 * Builds on hc-coverage.js (HC.coverage: map, selection, query, listeners). */
(function () {
  'use strict';
  var HC = window.HC, C = HC.coverage, map = C.map;
  var cfg = HC.pageConfig();
  var $ = function (id) { return document.getElementById(id); };
  var pct = C.pct, roles = cfg.roles || [];  // the signed-in user's roles, from the page config
  var me = Promise.resolve(roles);
  function has() { return Array.prototype.some.call(arguments, function (r) { return roles.indexOf(r) >= 0; }); }
  function num(v) { return v === null || v === undefined ? '—' : String(v); }
  function choices(layer, field) {
    return HC.describe('/api/layers', layer).then(function (d) {
      var f = d.fields.filter(function (x) { return x.name === field; })[0];
      return (f && f.choices) || {};
    }).catch(function () { return {}; });
  }
  function latlng(f) { return [f.geometry.coordinates[1], f.geometry.coordinates[0]]; }
  function error(box, r) { box.innerHTML = ''; box.appendChild(HC.el('p', {'class': 'hc-form-error', text: HC.message(r)})); }

  /* A small table: columns [[header, row → text or node, class?]]; attrs(row) gives the <tr> attributes. */
  function table(id, columns, rows, attrs, empty) {
    if (!rows.length) { return HC.el('p', {'class': 'hc-muted', id: id, 'data-empty': 'true', text: empty || '无'}); }
    return HC.el('div', {'class': 'hc-table-wrap hc-scroll-box'}, [HC.el('table', {'class': 'hc-grid', id: id}, [
      HC.el('thead', {}, [HC.el('tr', {}, columns.map(function (c) { return HC.el('th', {text: c[0], 'class': c[2]}); }))]),
      HC.el('tbody', {}, rows.map(function (row) {
        return HC.el('tr', attrs ? attrs(row) : {}, columns.map(function (c) {
          var v = c[1](row);
          return HC.el('td', {'class': c[2]}, [typeof v === 'object' && v !== null ? v : num(v)]);
        }));
      }))])]);
  }
  function zoomTo(layer) {
    return function () {
      if (layer.getBounds) { map.fitBounds(layer.getBounds(), {maxZoom: 15}); } else { map.setView(layer.getLatLng(), 15); }
      if (layer.openTooltip) { layer.openTooltip(); }
    };
  }
  function outlines(group, collection, className, style) {
    var byCode = {};
    L.geoJSON(collection, {style: function (f) { return L.extend({weight: 1.5, fillOpacity: 0.3,
      className: className + ' ' + className + '-' + f.properties.code}, style); },
    onEachFeature: function (f, l) { byCode[f.properties.code] = l; l.bindTooltip(HC.esc(f.properties.name + '：' + style.tip), {sticky: true}); }
    }).addTo(group);
    return byCode;
  }

  /* ---- 避难场所 ---------------------------------------------------------------------------------- */
  function loadShelters(group) {
    var box = $('hc-shelters-box');
    return Promise.all([HC.request('GET', '/api/coverage/shelters'), HC.request('GET', '/api/coverage/shelters/gaps'),
      HC.request('GET', '/api/layers/shelters/features?limit=5000'), choices('shelters', 'shelter_type')]).then(function (all) {
      if (!all[0].ok) { return error(box, all[0]); }
      var cap = all[0].data, gaps = all[1].ok ? all[1].data : null, where = {}, types = all[3];
      if (all[2].ok) { all[2].data.features.forEach(function (f) { if (f.geometry) { where[f.id] = f; } }); }
      var marks = {};
      cap.rows.forEach(function (s) {
        var f = where[s.id];
        if (!f) { return; }
        var bad = s.over_capacity, colour = bad ? '#c62828' : '#1565c0', tip = s.name + '：容量 ' + num(s.capacity) +
          ' 人，服务区约 ' + s.population_est + ' 人' + (bad ? '（超出 ' + s.shortfall + ' 人）' : '');
        L.circle(latlng(f), {radius: s.radius_m, color: colour, weight: 1, fillColor: colour, fillOpacity: bad ? 0.18 : 0.08,
          dashArray: '5 4', interactive: false, className: 'hc-shelter-area',
          hcLegend: bad ? '服务半径（服务区人口超出容量）' : '服务半径（容量足够）'}).addTo(group);
        marks[s.id] = L.circleMarker(latlng(f), {radius: 8, color: '#fff', weight: 2, fillColor: colour, fillOpacity: 1,
          className: 'hc-shelter ' + (bad ? 'hc-shelter-over' : 'hc-shelter-ok') + ' hc-shelter-id-' + s.id,
          hcLegend: bad ? '避难场所（超出容量）' : '避难场所（容量足够）'})
          .bindTooltip(HC.esc(tip)).addTo(group);
      });
      box.innerHTML = '';
      box.append(HC.el('p', {id: 'hc-shelter-summary', text: '共 ' + cap.rows.length + ' 处避难场所，' + cap.over_capacity +
        ' 处服务区人口超出容量（红色）。'}), HC.el('p', {'class': 'hc-muted hc-small', text: cap.assumption}),
      table('hc-shelters', [['名称 / 类型', function (s) {
        return HC.el('span', {}, [s.name, HC.el('br'), HC.el('span', {'class': 'hc-muted', text: types[s.shelter_type] || s.shelter_type})]);
      }],
        ['容量', function (s) { return s.capacity === null ? '未登记' : s.capacity + ' 人' + (s.capacity_basis === 'area' ? '（按面积）' : ''); }, 'hc-num'],
        ['服务区人口', function (s) {
          // roles without household access get no household count for a service area (a circle, not a village)
          return HC.el('span', {}, ['约 ' + s.population_est + ' 人'].concat(s.households === null ? [] : [HC.el('br'),
            HC.el('span', {'class': 'hc-muted', text: '困难 ' + s.households + ' 户 ' + s.members + ' 人'})]));
        }, 'hc-num'],
        ['负荷', function (s) {
          return s.over_capacity ? HC.el('span', {'class': 'hc-fail'}, [pct(s.load), HC.el('br'), '超容量']) : pct(s.load);
        }, 'hc-num']],
      cap.rows, function (s) {
        return {'data-id': s.id, 'data-over': String(s.over_capacity), 'class': s.over_capacity ? 'hc-over' : null,
          onclick: marks[s.id] ? zoomTo(marks[s.id]) : null};
      }, '尚无避难场所'));
      if (!gaps) { return; }
      var villages = outlines(group, gaps.villages, 'hc-gap-shelter', {color: '#6a1b9a', dashArray: '4 3', fillColor: '#ce93d8',
        tip: '无避难场所覆盖', hcLegend: '无避难场所覆盖的村'});
      box.append(HC.el('h3', {'class': 'hc-sub', text: '无避难场所覆盖的村（' + gaps.villages.features.length + ' 个，紫色）'}),
        table('hc-shelter-gap-villages', [['村（社区）', function (p) { return p.name; }], ['代码', function (p) { return p.code; }],
          ['户籍人口', function (p) { return p.population; }, 'hc-num']],
        gaps.villages.features.map(function (f) { return f.properties; }),
        function (p) { return {'data-code': p.code, onclick: villages[p.code] ? zoomTo(villages[p.code]) : null}; }, '各村均在避难场所服务范围内'),
        HC.el('h3', {'class': 'hc-sub', text: '境内无避难场所的乡镇（' + gaps.townships_without_shelter.length + ' 个，紫色虚线）'}));
      var tbox = HC.el('div');
      box.appendChild(tbox);
      var codes = gaps.townships_without_shelter.map(function (t) { return t.code; });
      var drawn = {};
      var outlinesDone = codes.length ? HC.request('GET', '/api/layers/townships/features?limit=500').then(function (r) {
        if (!r.ok) { return; }
        drawn = outlines(group, {type: 'FeatureCollection', features: r.data.features.filter(function (f) {
          return codes.indexOf(f.properties.code) >= 0; })}, 'hc-gap-shelter-township',
        {color: '#6a1b9a', weight: 2.5, dashArray: '10 6', fill: false, tip: '境内无避难场所',
          hcLegend: '境内无避难场所的乡镇'});
      }) : Promise.resolve();
      return outlinesDone.then(function () {
        tbox.appendChild(table('hc-shelter-gap-townships', [['乡镇（街道）', function (t) { return t.name; }], ['代码', function (t) { return t.code; }]],
          gaps.townships_without_shelter, function (t) { return {'data-code': t.code, onclick: drawn[t.code] ? zoomTo(drawn[t.code]) : null}; },
          '各乡镇境内均有避难场所'));
      });
    });
  }

  /* ---- 养老设施 ---------------------------------------------------------------------------------- */
  function occupancyClass(o) { return o === null ? null : o > 1 ? 'hc-over' : o >= 0.9 ? 'hc-high' : null; }
  function loadCare(group) {
    var box = $('hc-care-box'), type = $('hc-care-type').value, q = type ? '?facility_type=' + encodeURIComponent(type) : '';
    group.clearLayers();
    return Promise.all([HC.request('GET', '/api/coverage/care' + q), HC.request('GET', '/api/layers/care_facilities/features?limit=5000' +
      (type ? '&facility_type=' + encodeURIComponent(type) : ''))]).then(function (all) {
      if (!all[0].ok) { return error(box, all[0]); }
      var where = {}, marks = {};
      if (all[1].ok) { all[1].data.features.forEach(function (f) { if (f.geometry) { where[f.id] = f; } }); }
      all[0].data.rows.forEach(function (r) {
        if (!where[r.id]) { return; }
        var c = occupancyClass(r.occupancy), colour = c === 'hc-over' ? '#c62828' : c === 'hc-high' ? '#ef6c00' : '#2e7d32';
        marks[r.id] = L.circleMarker(latlng(where[r.id]), {radius: 6, color: '#fff', weight: 1.5, fillColor: r.beds ? colour : '#9e9e9e',
          fillOpacity: 1, className: 'hc-care hc-care-id-' + r.id, hcLegend: '养老设施（' + (!r.beds ? '未登记床位' :
            c === 'hc-over' ? '入住率超过 100%' : c === 'hc-high' ? '入住率 90%–100%' : '入住率低于 90%') + '）'})
          .bindTooltip(HC.esc(r.name + '：床位 ' + num(r.beds) + '，在院 ' + num(r.residents) + '，入住率 ' + pct(r.occupancy))).addTo(group);
      });
      box.innerHTML = '';
      box.appendChild(table('hc-care', [['名称', function (r) { return r.name; }], ['类型', function (r) { return r.type_title; }],
        ['床位', function (r) { return r.beds; }, 'hc-num'], ['在院', function (r) { return r.residents; }, 'hc-num'],
        ['入住率', function (r) { return pct(r.occupancy); }, 'hc-num hc-occupancy'], ['空床', function (r) { return r.free_beds; }, 'hc-num']],
      all[0].data.rows, function (r) {
        return {'data-id': r.id, 'data-occupancy': r.occupancy === null ? '' : String(r.occupancy), 'class': occupancyClass(r.occupancy),
          onclick: marks[r.id] ? zoomTo(marks[r.id]) : null};
      }, '没有此类设施'));
    });
  }
  function loadCentral() {
    var box = $('hc-central-box');
    return HC.request('GET', '/api/coverage/care/central-support').then(function (r) {
      if (!r.ok) { return error(box, r); }
      var d = r.data, county = d.county_facilities;
      box.innerHTML = '';
      box.append(table('hc-central', [['乡镇（街道）', function (t) { return t.name; }], ['机构', function (t) { return t.facilities; }, 'hc-num'],
        ['床位 / 在院', function (t) { return t.beds + ' / ' + t.residents; }, 'hc-num'],
        ['需求', function (t) { return t.suppressed ? '少于 5 户，不显示' : t.demand_households + ' 户 ' + t.demand_persons + ' 人'; }, 'hc-num'],
        ['床位余缺', function (t) {
          return t.balance === null ? '—' : HC.el('span', {'class': t.short ? 'hc-fail' : 'hc-pass',
            text: (t.balance > 0 ? '+' : '') + t.balance + (t.short ? ' 缺口' : '')});
        }, 'hc-num']],
      d.rows, function (t) { return {'data-code': t.code, 'data-balance': t.balance === null ? '' : String(t.balance), 'class': t.short ? 'hc-over' : null}; },
      '尚无乡镇'),
      HC.el('p', {'class': 'hc-small', text: '全市统筹（社会福利中心）：' + county.facilities + ' 处，床位 ' + county.beds + ' 张，在院 ' +
        county.residents + ' 人。'}), HC.el('p', {'class': 'hc-muted hc-small', text: d.basis}));
    });
  }

  /* ---- 儿童关爱 ---------------------------------------------------------------------------------- */
  var childGroup;
  /* The unit is picked, township → village (names, code beside), never typed (issue 16); units that
   * lack an officer are marked 缺. */
  function officerForm(gaps, reload) {
    var missing = {};
    gaps.villages.features.concat(gaps.townships.features).forEach(function (f) { missing[f.properties.code] = true; });
    var role = HC.el('select', {name: 'role', id: 'hc-officer-role'}, [HC.el('option', {value: 'director', text: '儿童主任（村）'}),
      HC.el('option', {value: 'supervisor', text: '儿童督导员（乡镇）'})]);
    var town = HC.el('select', {id: 'hc-officer-township', required: true});
    var village = HC.el('select', {id: 'hc-officer-village'});
    var villageRow = HC.el('label', {}, ['村（社区） ', village]);
    function mark() {
      [town, village].forEach(function (sel) {
        Array.prototype.forEach.call(sel.options, function (o) {
          var lacks = missing[o.value] && (sel === village) === (role.value === 'director');
          o.textContent = o.textContent.replace('（缺）', '') + (lacks ? '（缺）' : '');
        });
      });
    }
    C.unitPicker(town, village, ['请选择乡镇', '请选择村'], mark);
    function byRole() {
      village.required = role.value === 'director';
      villageRow.style.display = role.value === 'director' ? '' : 'none';  // (the form's labels are flex: no [hidden])
      mark();
    }
    role.addEventListener('change', byRole);
    byRole();
    var out = HC.el('p', {'class': 'hc-form-error', id: 'hc-officer-error', role: 'alert'});
    var form = HC.el('form', {'class': 'hc-mini-form', id: 'hc-officer-form', autocomplete: 'off'}, [
      HC.el('label', {}, ['职务 ', role]),
      HC.el('label', {}, ['乡镇（街道） ', town]), villageRow,
      HC.el('label', {}, ['姓名 ', HC.el('input', {name: 'name', id: 'hc-officer-name', required: true, maxlength: 50})]),
      HC.el('label', {}, ['电话 ', HC.el('input', {name: 'phone', id: 'hc-officer-phone', type: 'tel', maxlength: 20})]),
      HC.el('label', {}, ['备注 ', HC.el('input', {name: 'note', id: 'hc-officer-note', maxlength: 200})]),
      HC.el('button', {type: 'submit', 'class': 'hc-primary', id: 'hc-officer-save', text: '登记'}), out]);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var v = function (id) { return $(id).value.trim(); };
      var body = {role: role.value, unit_code: role.value === 'director' ? village.value : town.value, name: v('hc-officer-name')};
      if (v('hc-officer-phone')) { body.phone = v('hc-officer-phone'); }
      if (v('hc-officer-note')) { body.note = v('hc-officer-note'); }
      $('hc-officer-save').disabled = true;
      out.textContent = '';
      HC.request('POST', '/api/coverage/child-welfare/officers', {body: body}).then(function (r) {
        $('hc-officer-save').disabled = false;
        if (!r.ok) { out.textContent = HC.message(r); return; }
        HC.toast('已登记' + (body.role === 'director' ? '儿童主任' : '儿童督导员'), 'info');
        reload();
      });
    });
    return form;
  }
  function retire(o, reload) {
    HC.dialog.open('登记离任', HC.el('p', {text: o.unit_name + ' 的' + o.role_title + ' ' + o.name + ' 离任？记录保留，不删除。'}), [
      {text: '取消', onclick: HC.dialog.close},
      {text: '确认离任', primary: true, action: 'retire', onclick: function () {
        HC.request('DELETE', '/api/coverage/child-welfare/officers/' + o.id).then(function (r) {
          HC.dialog.close();
          if (!r.ok) { HC.toast(HC.message(r), 'error'); return; }
          reload();
        });
      }}]);
  }
  function loadChildren(group) {
    var box = $('hc-children-box');
    childGroup = group;
    return Promise.all([HC.request('GET', '/api/coverage/child-welfare/gaps'), HC.request('GET', '/api/coverage/child-welfare/officers'), me])
      .then(function (all) {
        if (!all[0].ok) { return error(box, all[0]); }
        var g = all[0].data, write = has('case_worker', 'admin'), reload = function () {
          var d = $('hc-sec-children');
          d.setAttribute('data-state', 'loading');
          return loadChildren(childGroup).then(function () { d.setAttribute('data-state', 'ready'); });
        };
        group.clearLayers();
        var towns = outlines(group, g.townships, 'hc-gap-supervisor', {color: '#00838f', weight: 2.5, dashArray: '8 5', fill: false,
          tip: '缺儿童督导员', hcLegend: '缺儿童督导员的乡镇'});
        var villages = outlines(group, g.villages, 'hc-gap-director', {color: '#ad1457', fillColor: '#f48fb1', tip: '缺儿童主任',
          hcLegend: '缺儿童主任的村'});
        box.innerHTML = '';
        box.append(HC.el('h3', {'class': 'hc-sub', text: '缺儿童主任的村：' + g.villages.missing + ' / ' + g.villages.total + '（粉色）'}),
          table('hc-gap-villages', [['村（社区）', function (p) { return p.name; }], ['代码', function (p) { return p.code; }],
            ['乡镇（街道）', function (p) { return C.townName(p.township_code); }]], g.villages.features.map(function (f) { return f.properties; }),
          function (p) { return {'data-code': p.code, onclick: villages[p.code] ? zoomTo(villages[p.code]) : null}; }, '每个村都有儿童主任'),
          HC.el('h3', {'class': 'hc-sub', text: '缺儿童督导员的乡镇：' + g.townships.missing + ' / ' + g.townships.total + '（青色虚线）'}),
          table('hc-gap-townships', [['乡镇（街道）', function (p) { return p.name; }], ['代码', function (p) { return p.code; }]],
            g.townships.features.map(function (f) { return f.properties; }),
            function (p) { return {'data-code': p.code, onclick: towns[p.code] ? zoomTo(towns[p.code]) : null}; }, '每个乡镇都有儿童督导员'),
          HC.el('h3', {'class': 'hc-sub', text: '儿童主任、儿童督导员名单（联系方式已脱敏）'}));
        if (!all[1].ok) { box.appendChild(HC.el('p', {'class': 'hc-form-error', text: HC.message(all[1])})); } else {
          box.appendChild(table('hc-officers', [['职务', function (o) { return o.role_title; }], ['单位', function (o) { return o.unit_name || o.unit_code; }],
            ['姓名', function (o) { return o.name; }], ['电话', function (o) { return o.phone; }], ['备注', function (o) { return o.note; }]]
            .concat(write ? [['', function (o) {
              return HC.el('button', {type: 'button', 'data-retire': o.id, text: '离任', onclick: function () { retire(o, reload); }});
            }]] : []), all[1].data.rows, function (o) { return {'data-id': o.id, 'data-unit': o.unit_code}; }, '尚未登记'));
        }
        if (write) {
          box.append(HC.el('h3', {'class': 'hc-sub', text: '登记儿童主任或儿童督导员'}), officerForm(g, reload));
        }
      });
  }

  /* ---- 困难群众户点位（仅社会救助经办） ---------------------------------------------------------------- */
  var MAX_UNCOVERED = 5000, pointsSeq = 0;
  function popup(p, covered) {
    var cats = (p.categories || []).map(function (c) { return cfg.categories[c] || c; }).join('、');
    return '<strong>' + HC.esc(p.head_name) + '</strong>（' + (covered ? '已覆盖' : '未覆盖') + '）<br>' + HC.esc(cats) +
      '<br>家庭人口 ' + HC.esc(num(p.members)) + '，' + HC.esc(C.villageName(p.village_code)) + '<br><span class="hc-muted">已脱敏</span>';
  }
  function uncoveredPages(mine, offset, acc) {
    return HC.request('GET', '/api/coverage/uncovered?' + C.query({limit: 1000, offset: offset})).then(function (r) {
      if (!r.ok || mine !== pointsSeq) { return {ok: r.ok, r: r, features: acc, matched: 0}; }
      acc = acc.concat(r.data.features);
      if (acc.length < r.data.numberMatched && acc.length < MAX_UNCOVERED && r.data.numberReturned) {
        return uncoveredPages(mine, offset + 1000, acc);
      }
      return {ok: true, features: acc, matched: r.data.numberMatched};
    });
  }
  function loadPoints(group) {
    var mine = ++pointsSeq, note = $('hc-points-note'), sel = C.selection(), b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(',');
    note.textContent = '正在加载…';
    return Promise.all([uncoveredPages(mine, 0, []), HC.request('GET', '/api/layers/households/features?limit=5000&bbox=' + bbox +
      (sel.category ? '&categories=' + encodeURIComponent(sel.category) : ''))]).then(function (all) {
      if (mine !== pointsSeq) { return; }
      group.clearLayers();
      if (!all[0].ok) { note.textContent = HC.message(all[0].r); return; }
      var un = all[0].features, complete = un.length >= all[0].matched, ids = {}, covered = 0;
      un.forEach(function (f) {
        ids[f.id] = true;
        if (!f.geometry) { return; }
        L.circleMarker(latlng(f), {radius: 5, color: '#fff', weight: 1, fillColor: '#d32f2f', fillOpacity: 0.95,
          className: 'hc-hh hc-hh-uncovered', hcLegend: '未覆盖的困难群众户'}).bindPopup(popup(f.properties, false)).addTo(group);
      });
      if (complete && all[1].ok) {
        all[1].data.features.forEach(function (f) {
          if (ids[f.id] || !f.geometry) { return; }
          covered += 1;
          L.circleMarker(latlng(f), {radius: 4, color: '#fff', weight: 1, fillColor: '#2e7d32', fillOpacity: 0.9,
            className: 'hc-hh hc-hh-covered', hcLegend: '已覆盖的困难群众户'}).bindPopup(popup(f.properties, true)).addTo(group);
        });
      }
      $('hc-sec-points').setAttribute('data-uncovered', String(un.length));
      $('hc-sec-points').setAttribute('data-covered', String(covered));
      note.textContent = '未覆盖 ' + un.length + ' 户（红，全市' + (complete ? '' : '，只画出前 ' + un.length + ' 户') + '）；已覆盖 ' +
        (complete ? covered + ' 户（绿，当前视野内）' : '未画出（未覆盖户过多，无法区分）') + '。弹窗信息已脱敏，查看完整信息请用上方名单。';
    });
  }
  function pointsSection() {
    var refresh = HC.el('button', {type: 'button', id: 'hc-points-refresh', text: '按当前视野刷新'});
    var details = HC.el('details', {'class': 'hc-section hc-lazy', id: 'hc-sec-points', 'data-section': 'points'}, [
      HC.el('summary', {text: '困难群众户点位（已覆盖 / 未覆盖）'}),
      HC.el('p', {'class': 'hc-notice', text: '仅社会救助经办人员可见。户点位是敏感个人信息：不得截图外传，不得用于共享地图。'}),
      HC.el('p', {'class': 'hc-legend-inline'}, [HC.el('i', {style: 'background:#d32f2f'}), '未覆盖　', HC.el('i', {style: 'background:#2e7d32'}),
        '已覆盖（按上方设施类型、救助类别与计算方法）']),
      HC.el('p', {id: 'hc-points-note', 'class': 'hc-small'}), refresh]);
    $('hc-sec-list').after(details);
    refresh.addEventListener('click', function () { if (details.open) { run(details); } });
    C.listeners.push(function () { if (details.open) { run(details); } });
    wire(details);
  }

  /* ---- sections load when opened; their layers stay on the map only while open ------------------ */
  var LOADERS = {shelters: loadShelters, children: loadChildren, points: loadPoints,
    care: function (group) { return Promise.all([loadCare(group), loadCentral()]); }};
  var groups = {};
  function run(details) {
    var name = details.getAttribute('data-section'), group = groups[name] = groups[name] || L.featureGroup();
    details.setAttribute('data-state', 'loading');
    return LOADERS[name](group).catch(function (e) { HC.toast('加载失败：' + e.message, 'error'); })
      .then(function () { details.setAttribute('data-state', 'ready'); });
  }
  /* Each section's own legend (what its overlays mean), shown with them and only with them. */
  function key(colour, text, cls) { return '<i class="' + (cls || '') + '" style="background:' + colour + ';border-color:' + colour + '"></i>' + text; }
  var LEGENDS = {
    shelters: ['避难场所', key('#1565c0', '容量足够（虚线圈为服务半径）', 'hc-ring'), key('#c62828', '服务区人口超出容量', 'hc-ring'),
      key('#ce93d8', '无避难场所覆盖的村'), key('#6a1b9a', '境内无避难场所的乡镇', 'hc-dash')],
    care: ['养老设施入住率', key('#2e7d32', '低于 90%', 'hc-ring'), key('#ef6c00', '90%–100%', 'hc-ring'),
      key('#c62828', '超过 100%', 'hc-ring'), key('#9e9e9e', '未登记床位', 'hc-ring')],
    children: ['儿童关爱', key('#f48fb1', '缺儿童主任的村'), key('#00838f', '缺儿童督导员的乡镇', 'hc-dash')],
    points: ['困难群众户点位', key('#d32f2f', '未覆盖', 'hc-ring'), key('#2e7d32', '已覆盖', 'hc-ring')]};
  function legendHtml(name) { var l = LEGENDS[name]; return '<strong>' + l[0] + '</strong><br>' + l.slice(1).join('<br>'); }
  /* One section on the map at a time: opening one closes the others, so overlays never pile up under
   * another section's legend (issue 16); with none open the choropleth and its legend come back. */
  function wire(details) {
    details.addEventListener('toggle', function () {
      var name = details.getAttribute('data-section');
      if (details.open) {
        Array.prototype.forEach.call(document.querySelectorAll('details.hc-lazy[open]'), function (other) {
          if (other !== details) { other.open = false; hide(other.getAttribute('data-section')); }
        });
        if (!details.getAttribute('data-state')) { run(details); }
        (groups[name] = groups[name] || L.featureGroup()).addTo(map);
        C.showSection(name, legendHtml(name));
      } else {
        hide(name);
        if (!document.querySelector('details.hc-lazy[open]')) { C.showSection(null); }
      }
      document.body.classList.toggle('hc-sections-open', !!document.querySelector('details.hc-lazy[open]'));
    });
  }
  function hide(name) { if (groups[name]) { map.removeLayer(groups[name]); } }
  HC.page('coverage-sections', function () {
    Array.prototype.forEach.call(document.querySelectorAll('details.hc-lazy'), wire);
    $('hc-care-type').addEventListener('change', function () { if ($('hc-sec-care').open) { run($('hc-sec-care')); } });
    choices('care_facilities', 'facility_type').then(function (c) {
      Object.keys(c).forEach(function (k) { $('hc-care-type').appendChild(HC.el('option', {value: k, text: c[k]})); });
    });
    me.then(function () {
      if (has('case_worker')) { pointsSection(); }  // the case office only; never other roles, not even admin
      document.body.setAttribute('data-sections', 'ready');
    });
  });
})();
