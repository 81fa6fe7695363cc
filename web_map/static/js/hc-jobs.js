/* Background jobs on a page: start one, show its progress in a box, offer its file when done.
 * HC.job.start(url, box) POSTs to url (which answers 202 with a job), then follows its status_url
 * every half second; resolves with the finished job (done or failed). */
(function () {
  'use strict';
  var HC = window.HC;
  var POLL_MS = 500;

  function show(box, job) {
    box.innerHTML = '';
    box.setAttribute('data-job-status', job.status);
    var bar = HC.el('progress', {max: '1', value: String(job.progress || 0)});
    bar.setAttribute('aria-label', '任务进度');
    var text = job.status_text + (job.message && job.message !== job.status_text ? '：' + job.message : '') +
      (job.status === 'running' ? '（' + Math.round((job.progress || 0) * 100) + '%）' : '');
    box.appendChild(bar);
    box.appendChild(HC.el('span', {'class': 'hc-job-text', text: ' ' + text + ' '}));
    if (job.status === 'done' && job.result_url) {
      box.appendChild(HC.el('a', {href: job.result_url, download: '', 'class': 'hc-job-result',
        text: '下载' + ((job.result && job.result.title) || '结果')}));
    }
  }

  function follow(job, box) {
    show(box, job);
    if (job.status === 'done' || job.status === 'failed') { return Promise.resolve(job); }
    return new Promise(function (resolve) { setTimeout(resolve, POLL_MS); }).then(function () {
      return HC.request('GET', job.status_url);
    }).then(function (r) {
      if (!r.ok) { box.textContent = HC.message(r); return null; }
      return follow(r.data, box);
    });
  }

  HC.job = {
    start: function (url, box) {
      box.hidden = false;
      box.textContent = '正在提交…';
      return HC.request('POST', url).then(function (r) {
        if (!r.ok) { box.textContent = HC.message(r); return null; }
        return follow(r.data.job || r.data, box);
      });
    },
    follow: follow
  };
}());
