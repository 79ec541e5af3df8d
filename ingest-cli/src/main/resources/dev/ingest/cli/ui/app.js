// The ingest console: pages rendered from the REST API, a hash router, and the live event stream.
import { call, get, token, setToken, events, ApiError } from './api.js';

const main = document.getElementById('main');
const READ_ONLY = 'Read-only: log in with the API token to make changes.';
const received = [];         // the events of this page's life, newest first (at most 500)
const eventListeners = new Set();
let refreshTimer = null;
let streamAbort = null;

// ------------------------------------------------------------------ small helpers

/** Builds an element: h('a', {href: '#/x', class: 'c'}, 'text', child...). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) {
      continue;
    }
    if (k.startsWith('on')) {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else {
      el.setAttribute(k, v === true ? '' : v);
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c !== undefined && c !== null && c !== false) {
      el.append(c instanceof Node ? c : String(c));
    }
  }
  return el;
}

const canWrite = () => token() !== '';

/** A button that changes something: disabled, with the reason, without a token. */
function writeButton(label, onclick, attrs) {
  const b = h('button', Object.assign({ type: 'button', onclick }, attrs || {}), label);
  if (!canWrite()) {
    b.disabled = true;
    b.title = READ_ONLY;
    b.setAttribute('aria-describedby', 'read-only');
  }
  return b;
}

function number(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString('en');
}

function bytes(n) {
  if (n === null || n === undefined) {
    return '–';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return (u === 0 ? v : v.toFixed(1)) + ' ' + units[u];
}

function time(t) {
  if (!t) {
    return '–';
  }
  // Java's ZonedDateTime text ends with the zone's name in brackets: 2026-01-01T00:00:00Z[GMT].
  const d = new Date(String(t).replace(/\[[^\]]*\]$/, ''));
  return isNaN(d) ? t : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** How far a time is from now: '12 s ago', 'in 3 min'. */
function fromNow(t) {
  const d = new Date(String(t || '').replace(/\[[^\]]*\]$/, ''));
  if (!t || isNaN(d)) {
    return '';
  }
  const s = Math.round((d.getTime() - Date.now()) / 1000);
  const a = Math.abs(s);
  const text = a < 120 ? a + ' s' : a < 7200 ? Math.round(a / 60) + ' min' : Math.round(a / 3600) + ' h';
  return s < 0 ? text + ' ago' : 'in ' + text;
}

/** A time with how far it is from now. */
function when(t) {
  return t ? [time(t), h('small', {}, ` (${fromNow(t)})`)] : '–';
}

/** A table with a caption, column headers and rows (arrays of cells), labelled for narrow screens. */
function table(id, caption, columns, rows) {
  const t = h('table', { id }, caption ? h('caption', {}, caption) : '',
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows));
  labelCells(t);
  return h('div', { class: 'scroll' }, t);
}

function message(text, kind) {
  return h('p', { class: kind || 'error', role: kind === 'ok' ? 'status' : 'alert' }, text);
}

function errorText(e) {
  if (e instanceof ApiError) {
    if (e.status === 401) {
      return 'This service needs the API token: log in above. (' + e.message + ')';
    }
    return e.message + (e.status ? ` (HTTP ${e.status})` : '');
  }
  return String(e && e.message ? e.message : e);
}

function page(title, ...content) {
  document.title = title + ' · ingest';
  main.replaceChildren(h('h2', {}, title), ...content);
}

/** Names each cell after its column, for narrow screens where a row is shown as a block (style.css). */
function labelCells(table) {
  const names = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
  table.querySelectorAll('tbody tr').forEach((tr) => [...tr.children].forEach((td, i) => {
    if (names[i]) {
      td.dataset.label = names[i];
    }
  }));
}

function every(ms, fn) {
  clearInterval(refreshTimer);
  refreshTimer = setInterval(() => {
    if (!document.hidden) {
      fn();
    }
  }, ms);
}

// ------------------------------------------------------------------ login and the event stream

function showAuth() {
  const logged = canWrite();
  document.getElementById('login-button').hidden = logged;
  document.getElementById('token').hidden = logged;
  document.querySelector('label[for=token]').hidden = logged;
  document.getElementById('logout-button').hidden = !logged;
  document.getElementById('auth-state').textContent = logged ? 'Logged in' : 'Not logged in';
  document.getElementById('read-only').hidden = logged;
}

document.getElementById('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = document.getElementById('token');
  const value = input.value.trim();
  const state = document.getElementById('auth-state');
  if (!value) {
    state.textContent = 'Enter the API token first';
    return;
  }
  setToken(value);
  try {
    await get('/v1/workflows');
  } catch (e) {
    setToken('');
    state.textContent = e instanceof ApiError && e.status === 401 ? 'Wrong token' : 'Cannot log in: ' + errorText(e);
    input.focus();
    return;
  }
  input.value = '';
  showAuth();
  connectEvents();
  route();
});

document.getElementById('logout-button').addEventListener('click', () => {
  setToken('');
  showAuth();
  connectEvents();
  route();
  document.getElementById('token').focus();
});

function connectEvents() {
  if (streamAbort) {
    streamAbort.abort();
  }
  const abort = new AbortController();
  streamAbort = abort;
  const state = document.getElementById('stream-state');
  state.textContent = 'events: connecting';
  events(abort.signal, () => {
    state.textContent = 'events: live';
  }, (e) => {
    received.unshift(Object.assign({ type: e.type }, e.data));
    received.length = Math.min(received.length, 500);
    document.getElementById('event-count').textContent = String(received.length);
    eventListeners.forEach((l) => l(e));
  }).then(() => {
    if (!abort.signal.aborted) {
      state.textContent = 'events: reconnecting';
      setTimeout(() => streamAbort === abort && connectEvents(), 2000);
    }
  }, (err) => {
    if (abort.signal.aborted) {
      return;
    }
    state.textContent = 'events: ' + (err instanceof ApiError && err.status === 401 ? 'log in to follow them'
      : err instanceof ApiError ? errorText(err) : 'disconnected, retrying');
    if (!(err instanceof ApiError && err.status === 401)) {
      setTimeout(() => streamAbort === abort && connectEvents(), 2000);
    }
  });
}

// ------------------------------------------------------------------ workflows

function stateBadge(w) {
  return h('span', { class: 'state state-' + w.state, title: w.reason || '' }, w.state);
}

function lag(s) {
  if (s && s.records && s.records.lagSeconds !== undefined) {
    return s.records.lagSeconds.toFixed(1) + ' s';
  }
  return '–';
}

function workflowActions(w, after) {
  const act = (label, method, path, confirmText) => writeButton(label, async (ev) => {
    if (confirmText && !window.confirm(confirmText)) {
      return;
    }
    const b = ev.currentTarget;
    b.disabled = true;
    try {
      const answer = await call(method, path);
      after(label, answer);
    } catch (e) {
      after(label, null, e);
    } finally {
      b.disabled = !canWrite();
    }
  }, { 'aria-label': `${label} ${w.name}`, dataset: { action: label.toLowerCase().replace(/ /g, '-') } });
  const base = '/v1/workflows/' + encodeURIComponent(w.name);
  const buttons = [];
  if (w.state === 'paused') {
    buttons.push(act('Resume', 'POST', base + '/resume'));
  } else {
    buttons.push(act('Pause', 'POST', base + '/pause'));
  }
  buttons.push(act('Run now', 'POST', base + '/runs'));
  if (w.origin === 'file') {
    const b = h('button', { type: 'button', disabled: true, title: 'defined in the configuration file: change it there',
      'aria-label': `Delete ${w.name} (defined in the configuration file)` }, 'Delete');
    buttons.push(b);
  } else {
    buttons.push(act('Delete', 'DELETE', base, `Delete workflow ${w.name}? Queued work of it stays in the stream.`));
  }
  return h('span', { class: 'actions' }, buttons);
}

async function workflowsPage() {
  const status = h('div', { id: 'action-status', 'aria-live': 'polite' });
  const loadStatus = h('div', { id: 'load-status' });
  const tbody = h('tbody');
  const table = h('table', { id: 'workflows' },
    h('caption', {}, 'Every workflow (copied: by every process, as each reports every 5 seconds); the table follows the event stream and refreshes every 2 seconds.'),
    h('thead', {}, h('tr', {}, ['Workflow', 'State', 'Source → destinations', 'Copied', 'Bytes', 'Records',
      'Queued', 'Pending', 'In flight', 'Dead letters', 'Lag', 'Last scan', 'Actions'].map((c) =>
      h('th', { scope: 'col' }, c)))),
    tbody);
  page('Workflows', status, loadStatus, h('div', { class: 'scroll' }, table),
    h('p', {}, h('a', { href: '#/new' }, 'Create a source, destination or workflow')));
  const after = (label, answer, err) => {
    if (err) {
      status.replaceChildren(message(`${label}: ${errorText(err)}`));
    } else {
      status.replaceChildren(message(`${label}: done`, 'ok'));
    }
    load();
  };
  async function load() {
    let list;
    try {
      list = (await get('/v1/workflows')).workflows;
    } catch (e) {
      loadStatus.replaceChildren(message(errorText(e)));
      return;
    }
    loadStatus.replaceChildren();
    if (!list.length) {
      tbody.replaceChildren(h('tr', {}, h('td', { colspan: 13 }, 'No workflows yet.')));
      return;
    }
    tbody.replaceChildren(...list.map((w) => {
      const s = w.status || {};
      const d = w.definition || {};
      const scan = s.lastScan;
      const rec = s.records;
      return h('tr', { dataset: { workflow: w.name } },
        h('th', { scope: 'row' }, h('a', { href: '#/workflow/' + encodeURIComponent(w.name) }, w.name),
          w.origin === 'file' ? h('small', {}, ' (file)') : ''),
        h('td', {}, stateBadge(w), w.reason ? h('div', { class: 'reason' }, w.reason) : ''),
        h('td', {}, `${d.source || '?'} → ${(d.destinations || []).join(', ')}`),
        h('td', { class: 'num', dataset: { field: 'copied' } }, w.copied ? number(w.copied.objects) : '–'),
        h('td', { class: 'num', dataset: { field: 'bytes' } }, w.copied ? bytes(w.copied.bytes) : '–'),
        h('td', { class: 'num', dataset: { field: 'records' } }, rec ? number(rec.records) : '–'),
        h('td', { class: 'num', dataset: { field: 'queued' } }, number(s.queued)),
        h('td', { class: 'num', dataset: { field: 'pending' } }, number(s.pending)),
        h('td', { class: 'num', dataset: { field: 'ackPending' } }, number(s.ackPending)),
        h('td', { class: 'num', dataset: { field: 'deadLetters' } },
          h('a', { href: '#/dead-letters/' + encodeURIComponent(w.name) }, number(s.deadLetters))),
        h('td', { class: 'num' }, lag(s)),
        h('td', { dataset: { field: 'lastScan' } }, scan
          ? [time(scan.finished), h('br'), `listed ${number(scan.listed)}, queued ${number(scan.queued)}`,
            scan.error ? h('div', { class: 'reason' }, scan.error) : '']
          : '–'),
        h('td', {}, workflowActions(w, after)));
    }));
    labelCells(table);
  }
  await load();
  every(2000, load);
  return load;
}

// ------------------------------------------------------------------ one workflow

function definitionList(obj) {
  return h('dl', { class: 'definition' }, Object.entries(obj || {}).flatMap(([k, v]) => [
    h('dt', {}, k), h('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))]));
}

function runRow(run) {
  const total = run.listed || 0;
  const left = run.pending === null || run.pending === undefined ? total : run.pending;
  const done = run.state === 'done' ? total : Math.max(0, total - left);
  return h('tr', { dataset: { run: run.id } },
    h('td', {}, run.id), h('td', { dataset: { field: 'state' } }, run.state), h('td', {}, time(run.started)),
    h('td', {}, h('progress', { max: Math.max(total, 1), value: run.state === 'done' ? Math.max(total, 1) : done,
      'aria-label': `run ${run.id}: ${done} of ${total}` }), ` ${done} / ${total}`),
    h('td', {}, `listed ${number(run.listed)}, queued ${number(run.queued)}, already stored ${number(run.alreadyStored)}`
      + `, failed ${number(run.failed)}`, run.error ? h('div', { class: 'reason' }, run.error) : ''));
}

const TAIL_OFFSET = /^offset (\d+) of (\d+) bytes(.*)$/;

/** A record workflow: totals, the open batches of every process, tail offsets per file and the source's report. */
function recordsSection(r, batchBlock) {
  const totals = Object.fromEntries(Object.entries(r).filter(([k]) => !['source', 'openBatches', 'openBatchCount',
    'oldestNotStored', 'lagSeconds'].includes(k)).map(([k, v]) => [k, k.endsWith('Bytes') ? bytes(v) : number(v)]));
  totals.lag = r.oldestNotStored ? `${Number(r.lagSeconds).toFixed(1)} s (oldest record not yet stored: ${time(r.oldestNotStored)})`
    : 'none: every record held is stored';
  const open = r.openBatches || [];
  const limits = batchBlock && typeof batchBlock === 'object'
    ? ['maxRecords', 'maxBytes'].filter((k) => batchBlock[k] !== undefined).map((k) => `${k} ${batchBlock[k]}`) : [];
  const source = Object.entries(r.source || {});
  const files = [];
  const others = {};
  for (const [k, v] of source) {
    const m = k.startsWith('file ') ? TAIL_OFFSET.exec(String(v)) : null;
    if (m) {
      files.push([k.slice(5), Number(m[1]), Number(m[2]), m[3].trim()]);
    } else {
      others[k] = v;
    }
  }
  return [h('h3', {}, 'Records'), definitionList(totals),
    h('h4', {}, `Open batches (${number(r.openBatchCount || 0)})`),
    open.length ? table('open-batches', 'Batches held open by each dequeuer (reported every 5 s); a batch is cut at its '
      + 'time (maxAge) or sooner, when it reaches ' + (limits.length ? limits.join(' or ') : 'maxRecords or maxBytes')
      + (r.openBatchCount > open.length ? `; the ${open.length} oldest of ${r.openBatchCount} are shown` : '') + '.',
    ['Batch key', 'Object', 'Records', 'Bytes', 'Oldest record', 'Cut at', 'Process'],
    open.map((b) => h('tr', { dataset: { batch: b.object } },
      h('td', {}, b.key === '' ? '(none)' : b.key), h('td', {}, b.object),
      h('td', { class: 'num', dataset: { field: 'records' } }, number(b.records)),
      h('td', { class: 'num', dataset: { field: 'bytes' } }, bytes(b.bytes)),
      h('td', { dataset: { field: 'oldestRecord' } }, when(b.oldestRecord)),
      h('td', { dataset: { field: 'cutAt' } }, when(b.cutAt)), h('td', {}, b.process))))
      : h('p', { id: 'no-open-batches' }, 'No batch is open.'),
    files.length ? [h('h4', {}, 'Tail offsets'), table('tail-offsets',
      'How far each followed file is read (the files furthest behind first), as the source last reported it.',
      ['File', 'Offset', 'Size', 'Read'], files.map(([f, offset, size, note]) => h('tr', { dataset: { file: f } },
        h('td', {}, f, note ? h('small', {}, ' ' + note) : ''),
        h('td', { class: 'num', dataset: { field: 'offset' } }, number(offset)),
        h('td', { class: 'num', dataset: { field: 'size' } }, number(size)),
        h('td', {}, h('progress', { max: Math.max(size, 1), value: size === 0 ? 1 : offset,
          'aria-label': `${f}: ${offset} of ${size} bytes read` }), ` ${size ? Math.floor(100 * offset / size) : 100} %`))))]
      : '',
    Object.keys(others).length ? [h('h4', {}, 'Source report'),
      h('div', { id: 'source-report' }, definitionList(others))] : ''];
}

/** Who holds which shard of a sharded record source. */
function shardsSection(shards) {
  const rows = Object.entries(shards).sort(([a], [b]) => Number(a) - Number(b)).map(([n, lease]) =>
    h('tr', { dataset: { shard: n } }, h('td', { class: 'num' }, n),
      h('td', { dataset: { field: 'holder' } }, lease.holder),
      h('td', {}, lease.since ? when(lease.since) : '–'), h('td', {}, when(lease.expires))));
  return [h('h3', {}, 'Shard leases'), table('shards', `${rows.length} shard(s) held; a lease is renewed every second `
    + 'and expires 5 s after its last renewal.', ['Shard', 'Holder', 'Held since', 'Lease expires'], rows)];
}

async function workflowPage(name) {
  const status = h('div', { 'aria-live': 'polite' });
  const loadStatus = h('div');
  const body = h('div');
  page('Workflow ' + name, status, loadStatus, body);
  async function load() {
    let w;
    try {
      w = await get('/v1/workflows/' + encodeURIComponent(name));
    } catch (e) {
      loadStatus.replaceChildren(message(errorText(e)));
      return;
    }
    loadStatus.replaceChildren();
    const d = w.definition || {};
    const entries = [];
    const refs = [['sources', d.source]].concat((d.destinations || []).map((x) => ['destinations', x]));
    for (const [kind, n] of refs) {
      try {
        const e = await get(`/v1/${kind}/${encodeURIComponent(n)}`);
        entries.push(h('section', {}, h('h4', {}, `${kind === 'sources' ? 'Source' : 'Destination'} ${n}`,
          h('small', {}, ` (${e.origin})`)), definitionList(e.definition)));
      } catch (err) {
        entries.push(message(`${kind} ${n}: ${errorText(err)}`));
      }
    }
    let runs = [];
    let runsError = null;
    try {
      runs = (await get('/v1/runs?workflow=' + encodeURIComponent(name) + '&limit=10')).runs;
    } catch (e) {
      runsError = e;
    }
    const s = w.status || {};
    const after = (label, answer, err) => {
      if (err) {
        status.replaceChildren(message(`${label}: ${errorText(err)}`));
      } else {
        status.replaceChildren(message(`${label}: done`, 'ok'));
        if (label === 'Delete') {
          location.hash = '#/workflows';
          return;
        }
      }
      load();
    };
    body.replaceChildren(
      h('p', {}, stateBadge(w), ' ', w.reason || '', ' ', workflowActions(w, after), ' ',
        w.origin === 'api' ? h('a', { href: '#/edit/workflows/' + encodeURIComponent(name) }, 'Edit') : '', ' ',
        h('a', { href: '#/dead-letters/' + encodeURIComponent(name) }, `Dead letters (${number(s.deadLetters)})`)),
      h('h3', {}, 'Configuration'), definitionList(d), ...entries,
      h('h3', {}, 'Copied by every process'), h('section', { id: 'copied' }, definitionList(w.copied
        ? { objects: w.copied.objects, bytes: bytes(w.copied.bytes) } : {})),
      h('h3', {}, 'Copied by the process that answers'), h('section', { id: 'copied-here' },
        definitionList(w.copiedHere ? { objects: w.copiedHere.objects, bytes: bytes(w.copiedHere.bytes) } : {})),
      h('h3', {}, 'Queue'), definitionList({ queued: s.queued, pending: s.pending, 'in flight': s.ackPending,
        redelivered: s.redelivered, consumer: s.consumer }),
      h('h3', {}, 'Last scan'), s.lastScan ? definitionList(s.lastScan) : h('p', {}, 'No scan recorded yet.'),
      s.records ? h('section', { id: 'records' }, recordsSection(s.records, d.batch)) : '',
      s.shards ? h('section', { id: 'shard-leases' }, shardsSection(s.shards)) : '',
      h('h3', {}, 'Current and recent runs'),
      runsError ? message('Runs: ' + errorText(runsError)) : runs.length
        ? table('runs', 'One-time runs kept by the process that answers (the newest first); the page follows them every second.',
          ['Run', 'State', 'Started', 'Progress', 'Counts'], runs.map(runRow))
        : h('p', { id: 'no-runs' }, 'None kept by the process that answers: "Run now" starts one.'));
  }
  await load();
  every(1000, load);
  return load;
}

// ------------------------------------------------------------------ dead letters

async function deadLettersPage(name) {
  const status = h('div', { id: 'action-status', 'aria-live': 'polite' });
  const body = h('div');
  page('Dead letters of ' + name, h('p', {}, h('a', { href: '#/workflow/' + encodeURIComponent(name) }, '← ' + name)),
    status, body);
  const base = '/v1/workflows/' + encodeURIComponent(name) + '/dead-letters';
  let letters = [];
  const selected = () => [...body.querySelectorAll('input[type=checkbox][data-seq]:checked')]
    .map((c) => Number(c.dataset.seq));
  async function replay(seqs, label) {
    try {
      const r = await call('POST', base + '/replay', seqs ? { sequences: seqs } : undefined);
      status.replaceChildren(message(`${label}: ${r.replayed} replayed`, 'ok'));
    } catch (e) {
      status.replaceChildren(message(`${label}: ${errorText(e)}`));
    }
    load();
  }
  async function remove(seqs, label) {
    if (!window.confirm(`Delete ${seqs.length} dead letter(s) of ${name}? They are gone for good.`)) {
      return;
    }
    let n = 0;
    for (const s of seqs) {
      try {
        await call('DELETE', `${base}/${s}`);
        n++;
      } catch (e) {
        status.replaceChildren(message(`${label}: #${s}: ${errorText(e)}`));
        load();
        return;
      }
    }
    status.replaceChildren(message(`${label}: ${n} deleted`, 'ok'));
    load();
  }
  async function load() {
    let r;
    try {
      r = await get(base);
    } catch (e) {
      status.replaceChildren(message(errorText(e)));
      return;
    }
    letters = r.deadLetters;
    if (!letters.length) {
      body.replaceChildren(h('p', { id: 'no-dead-letters' }, 'No dead letters.'));
      return;
    }
    body.replaceChildren(
      h('p', { class: 'actions' },
        writeButton('Replay selected', () => replay(selected(), 'Replay selected')),
        writeButton('Delete selected', () => remove(selected(), 'Delete selected')),
        writeButton('Replay all', () => replay(null, 'Replay all')),
        writeButton('Delete all', () => remove(letters.map((l) => l.sequence), 'Delete all'))),
      r.unreadable ? message(`${r.unreadable} more dead letter(s) cannot be read from the stream`) : '',
      h('div', { class: 'scroll' }, h('table', { id: 'dead-letters' },
        h('thead', {}, h('tr', {}, ['', '#', 'Object', 'Reason', 'Attempts', 'Time', 'Last error', ''].map((c) =>
          h('th', { scope: 'col' }, c)))),
        h('tbody', {}, letters.map((l) => h('tr', { dataset: { seq: l.sequence } },
          h('td', {}, h('input', { type: 'checkbox', dataset: { seq: l.sequence },
            'aria-label': `select dead letter ${l.sequence} (${l.object})` })),
          h('td', {}, l.sequence), h('td', {}, l.object), h('td', {}, l.reason),
          h('td', {}, typeof l.attempts === 'object' ? JSON.stringify(l.attempts) : String(l.attempts ?? '–')),
          h('td', {}, time(l.time)),
          h('td', { class: 'reason' }, l.lastError && l.lastError !== l.reason ? l.lastError : ''),
          h('td', {}, h('span', { class: 'actions' },
            writeButton('Replay', () => replay([l.sequence], 'Replay'), { 'aria-label': `replay ${l.sequence}` }),
            writeButton('Delete', () => remove([l.sequence], 'Delete'), { 'aria-label': `delete ${l.sequence}` })))))))));
    labelCells(body.querySelector('table'));
  }
  await load();
  return load;
}

// ------------------------------------------------------------------ events

function eventRow(e) {
  const rest = Object.assign({}, e);
  delete rest.type;
  delete rest.workflow;
  delete rest.time;
  return h('tr', { class: 'event-' + e.type },
    h('td', {}, time(e.time)), h('td', {}, e.type), h('td', {}, e.workflow || ''),
    h('td', {}, Object.entries(rest).map(([k, v]) => h('div', {}, h('b', {}, k + ': '),
      typeof v === 'object' ? JSON.stringify(v) : String(v)))));
}

function eventsPage() {
  const tbody = h('tbody');
  const filter = h('select', { id: 'event-type' }, h('option', { value: '' }, 'all'));
  const draw = () => {
    const types = [...new Set(received.map((e) => e.type))].sort();
    const chosen = filter.value;
    filter.replaceChildren(h('option', { value: '' }, 'all'),
      ...types.map((t) => h('option', { value: t, selected: t === chosen }, t)));
    filter.value = types.includes(chosen) ? chosen : '';
    tbody.replaceChildren(...received.filter((e) => !filter.value || e.type === filter.value).map(eventRow));
  };
  filter.addEventListener('change', draw);
  page('Events', h('p', {}, 'Dead letters, failed scans and copies, state changes and runs, as they happen ',
    '(since this page was opened).'),
  h('div', { class: 'field' }, h('label', { for: 'event-type' }, 'Type'), filter),
  h('div', { class: 'scroll' }, h('table', { id: 'events' },
    h('thead', {}, h('tr', {}, ['Time', 'Type', 'Workflow', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody)));
  draw();
  return draw;
}

// ------------------------------------------------------------------ create and edit

const KINDS = { workflows: 'Workflow', sources: 'Source', destinations: 'Destination' };

/**
 * A plugin key's value as typed: text (plugins read "true" or "8" as a boolean or number, and a prefix such as "007"
 * stays text), or a JSON list or object when it is one.
 */
function typed(v) {
  if (/^[[{]/.test(v)) {
    try {
      return JSON.parse(v);
    } catch (e) {
      return v;
    }
  }
  return v;
}

function field(id, label, input, hint) {
  input.id = 'f-' + id;
  input.name = id;
  const problem = h('p', { class: 'problem', id: 'p-' + id, hidden: true });
  const hintEl = hint ? h('small', { id: 'h-' + id }, hint) : '';
  input.setAttribute('aria-describedby', (hint ? 'h-' + id + ' ' : '') + 'p-' + id);
  return h('div', { class: 'field', dataset: { key: id } }, h('label', { for: 'f-' + id }, label), input, hintEl,
    problem);
}

function showProblems(form, summary, err) {
  form.querySelectorAll('.problem').forEach((p) => {
    p.hidden = true;
    p.textContent = '';
  });
  form.querySelectorAll('[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
  const unplaced = [];
  let first = null;
  for (const p of err.problems || []) {
    const key = String(p.path || '').split(/[.[]/)[0];
    const slot = form.querySelector(`#p-${CSS.escape(key)}`);
    if (key && slot) {
      slot.hidden = false;
      slot.textContent = (slot.textContent ? slot.textContent + '; ' : '') + p.message;
      const input = form.querySelector(`#f-${CSS.escape(key)}`);
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        first = first || input;
      }
    } else {
      unplaced.push(`${p.path ? p.path + ': ' : ''}${p.message}`);
    }
  }
  summary.replaceChildren(message(errorText(err)), unplaced.length ? h('ul', {}, unplaced.map((u) => h('li', {}, u)))
    : '');
  if (first) {
    first.focus();
  }
}

async function editPage(kind, name) {
  kind = KINDS[kind] ? kind : 'workflows';
  const editing = name !== undefined;
  let existing = null;
  if (editing) {
    try {
      existing = await get(`/v1/${kind}/${encodeURIComponent(name)}`);
    } catch (e) {
      page('Edit', message(errorText(e)));
      return null;
    }
  }
  let plugins = [];
  let sources = [];
  let destinations = [];
  const loadErrors = [];
  try {
    plugins = (await get('/v1/plugins')).plugins;
  } catch (e) {
    loadErrors.push('plugins: ' + errorText(e));
  }
  try {
    sources = (await get('/v1/sources')).sources;
    destinations = (await get('/v1/destinations')).destinations;
  } catch (e) {
    loadErrors.push(errorText(e));
  }
  const summary = h('div', { id: 'form-status', 'aria-live': 'polite' });
  const kindSelect = h('select', { id: 'kind', disabled: editing },
    Object.entries(KINDS).map(([k, label]) => h('option', { value: k, selected: k === kind }, label)));
  const nameInput = h('input', { type: 'text', required: true, pattern: '[A-Za-z0-9_-]+', value: name || '',
    readonly: editing, autocomplete: 'off' });
  const fields = h('div', { id: 'fields' });
  const form = h('form', { id: 'entry-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'kind' }, 'Kind'), kindSelect),
    field('name', 'Name', nameInput, 'letters, digits, - and _'), fields,
    writeButton('Save', null, { type: 'submit', id: 'save' }));
  const def = existing ? existing.definition : {};

  function pluginFields(role) {
    const types = plugins.filter((p) => (p.roles || []).includes(role));
    const typeSelect = h('select', {}, h('option', { value: '' }, '(choose)'),
      types.map((p) => h('option', { value: p.type, selected: def.type === p.type }, `${p.type} (${p.version})`)));
    const keys = h('div', { class: 'plugin-keys' });
    const showKeys = () => {
      const p = types.find((t) => t.type === typeSelect.value);
      keys.replaceChildren(...(p ? p.keys[role] : []).map((k) => {
        const v = def[k.name];
        const input = h('input', { type: k.secret ? 'password' : 'text', autocomplete: 'off',
          value: v === undefined ? '' : (typeof v === 'object' ? JSON.stringify(v) : String(v)),
          required: k.required, dataset: { pluginKey: k.name } });
        return field(k.name, k.name + (k.required ? ' (required)' : ''), input,
          k.description + (k.secret ? ' Secret: shown as ***, which keeps the stored value.' : ''));
      }));
    };
    typeSelect.addEventListener('change', showKeys);
    const f = field('type', 'Plugin type', typeSelect, 'the keys below come from GET /v1/plugins');
    showKeys();
    return [f, keys];
  }

  function workflowFields() {
    const src = h('select', {}, h('option', { value: '' }, '(choose)'),
      sources.map((s) => h('option', { value: s.name, selected: def.source === s.name }, s.name)));
    const dests = h('fieldset', { id: 'f-destinations', 'aria-describedby': 'p-destinations' },
      h('legend', {}, 'Destinations'), destinations.length ? destinations.map((d) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', value: d.name, checked: (def.destinations || []).includes(d.name),
          dataset: { destination: d.name } }), ' ' + d.name)) : h('span', {}, 'none yet: create one first'),
      h('p', { class: 'problem', id: 'p-destinations', hidden: true }));
    const known = ['name', 'source', 'destinations', 'interval', 'batchSize', 'cleanUp', 'webhook'];
    const others = Object.fromEntries(Object.entries(def).filter(([k]) => !known.includes(k)));
    return [field('source', 'Source', src), dests,
      field('interval', 'Interval', h('input', { type: 'text', value: def.interval ?? '', placeholder: '300s' }),
        'how often the source is scanned, e.g. 30s, 5m'),
      field('batchSize', 'Batch size', h('input', { type: 'number', min: 1, value: def.batchSize ?? '' })),
      field('cleanUp', 'Clean up', h('select', {}, h('option', { value: '' }, '(default: no)'),
        h('option', { value: 'true', selected: def.cleanUp === true }, 'yes: delete the source object once stored'),
        h('option', { value: 'false', selected: def.cleanUp === false }, 'no'))),
      field('webhook', 'Webhook URL', h('input', { type: 'url', value: def.webhook ?? '' })),
      field('extra', 'Other keys (JSON)', h('textarea', { rows: 3 },
        Object.keys(others).length ? JSON.stringify(others) : ''), 'e.g. {"batch": {"maxRecords": 1000}}')];
  }

  const render = () => {
    const k = kindSelect.value;
    fields.replaceChildren(...(k === 'workflows' ? workflowFields() : pluginFields(k === 'sources' ? 'source'
      : 'destination')).flat());
  };
  kindSelect.addEventListener('change', render);
  render();

  function collect() {
    const k = kindSelect.value;
    const out = {};
    if (k === 'workflows') {
      const v = (id) => form.querySelector('#f-' + id).value.trim();
      if (v('source')) {
        out.source = v('source');
      }
      out.destinations = [...form.querySelectorAll('input[data-destination]:checked')].map((c) => c.value);
      if (v('interval')) {
        out.interval = v('interval');
      }
      if (v('batchSize')) {
        out.batchSize = Number(v('batchSize'));
      }
      if (v('cleanUp')) {
        out.cleanUp = v('cleanUp') === 'true';
      }
      if (v('webhook')) {
        out.webhook = v('webhook');
      }
      if (v('extra')) {
        let extra;
        try {
          extra = JSON.parse(v('extra'));
        } catch (e) {
          throw new ApiError(400, { error: 'not JSON', problems: [{ path: 'extra', message: 'not JSON: ' + e.message }] });
        }
        Object.assign(out, extra);
      }
    } else {
      out.type = form.querySelector('#f-type').value;
      form.querySelectorAll('input[data-plugin-key]').forEach((i) => {
        if (i.value.trim() !== '') {
          out[i.dataset.pluginKey] = typed(i.value.trim());
        }
      });
    }
    return out;
  }

  async function save(path, body, contentType, target) {
    const saved = await call('PUT', path, body, contentType);
    const warnings = (saved && saved.warnings) || [];
    target.replaceChildren(message('Saved.', 'ok'), warnings.length ? h('ul', { class: 'warnings' },
      warnings.map((w) => h('li', {}, 'Warning: ' + w))) : '');
    return saved;
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const k = kindSelect.value;
    const n = nameInput.value.trim();
    if (!/^[A-Za-z0-9_-]+$/.test(n)) {
      showProblems(form, summary, new ApiError(400, { error: 'the name is missing or malformed',
        problems: [{ path: 'name', message: 'letters, digits, - and _ only' }] }));
      return;
    }
    try {
      await save(`/v1/${k}/${encodeURIComponent(n)}`, collect(), 'application/json', summary);
      form.querySelectorAll('.problem').forEach((p) => {
        p.hidden = true;
      });
      if (k === 'workflows') {
        location.hash = '#/workflow/' + encodeURIComponent(n);
      }
    } catch (e) {
      showProblems(form, summary, e);
    }
  });

  // The raw editor: the same keys as YAML, in YAML or JSON.
  const rawStatus = h('div', { id: 'raw-status', 'aria-live': 'polite' });
  const rawKind = h('select', { id: 'raw-kind', disabled: editing },
    Object.entries(KINDS).map(([k, label]) => h('option', { value: k, selected: k === kind }, label)));
  const rawName = h('input', { id: 'raw-name', type: 'text', value: name || '', readonly: editing });
  const rawText = h('textarea', { id: 'raw-text', rows: 12, spellcheck: 'false' });
  rawText.value = existing ? JSON.stringify(existing.definition, null, 2) : '';
  const rawForm = h('form', { id: 'raw-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'raw-kind' }, 'Kind'), rawKind),
    h('div', { class: 'field' }, h('label', { for: 'raw-name' }, 'Name'), rawName),
    h('div', { class: 'field' }, h('label', { for: 'raw-text' }, 'Definition (YAML or JSON)'), rawText),
    writeButton('Save definition', null, { type: 'submit', id: 'raw-save' }), rawStatus);
  rawForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await save(`/v1/${rawKind.value}/${encodeURIComponent(rawName.value.trim())}`, rawText.value,
        'application/yaml', rawStatus);
    } catch (e) {
      rawStatus.replaceChildren(message(errorText(e)), h('ul', {}, e.problems.map((p) =>
        h('li', {}, `${p.path ? p.path + ': ' : ''}${p.message}`))));
    }
  });

  page(editing ? `Edit ${KINDS[kind].toLowerCase()} ${name}` : 'Create',
    loadErrors.length ? message(loadErrors.join('; ')) : '', summary, form,
    h('details', { id: 'raw' }, h('summary', {}, 'Raw YAML/JSON editor'), rawForm),
    editing ? '' : h('p', {}, 'Existing: ', [...sources.map((s) => ['sources', s]), ...destinations.map((d) =>
      ['destinations', d])].filter(([, e]) => e.origin === 'api').map(([k, e]) =>
      h('a', { href: `#/edit/${k}/${encodeURIComponent(e.name)}` }, `${k.slice(0, -1)} ${e.name}`))
      .flatMap((a, i) => (i ? [', ', a] : [a]))));
  return null;
}

// ------------------------------------------------------------------ search

const OPERATIONS = ['equals', 'contains', 'range'];

async function searchPage() {
  let destinations = [];
  const status = h('div', { id: 'search-status', 'aria-live': 'polite' });
  try {
    destinations = (await get('/v1/destinations')).destinations;
  } catch (e) {
    page('Search', message(errorText(e)));
    return null;
  }
  const dest = h('select', { id: 'search-destination' },
    destinations.map((d) => h('option', { value: d.name }, `${d.name} (${d.definition.type})`)));
  const rows = h('div', { id: 'filters' });
  let rowId = 0;
  function addRow() {
    const i = ++rowId;
    const op = h('select', { id: `op-${i}`, class: 'op' }, OPERATIONS.map((o) => h('option', { value: o }, o)));
    const value = h('input', { id: `value-${i}`, class: 'value', type: 'text' });
    const upper = h('input', { id: `upper-${i}`, class: 'upper', type: 'text', hidden: true });
    const upperLabel = h('label', { for: `upper-${i}`, hidden: true }, 'to');
    op.addEventListener('change', () => {
      upper.hidden = upperLabel.hidden = op.value !== 'range';
      valueLabel.textContent = op.value === 'range' ? 'Value from' : 'Value';
    });
    const valueLabel = h('label', { for: `value-${i}` }, 'Value');
    const row = h('div', { class: 'filter-row', role: 'group', 'aria-label': `filter ${i}` },
      h('label', { for: `key-${i}` }, 'Key'), h('input', { id: `key-${i}`, class: 'key', type: 'text',
        placeholder: 'level or /json/pointer' }),
      h('label', { for: `op-${i}` }, 'Operation'), op, valueLabel, value, upperLabel, upper,
      h('button', { type: 'button', 'aria-label': `remove filter ${i}`, onclick: () => row.remove() }, 'Remove'));
    rows.append(row);
  }
  addRow();
  const match = h('select', { id: 'match' }, h('option', { value: 'all' }, 'all filters (and)'),
    h('option', { value: 'any' }, 'any filter (or)'));
  const from = h('input', { id: 'from', type: 'datetime-local', step: 1 });
  const to = h('input', { id: 'to', type: 'datetime-local', step: 1 });
  const limit = h('input', { id: 'limit', type: 'number', min: 1, max: 10000, value: 50 });
  const results = h('div', { id: 'results' });
  const cursors = [];

  function filters() {
    const out = [];
    rows.querySelectorAll('.filter-row').forEach((r) => {
      const key = r.querySelector('.key').value.trim();
      if (!key) {
        return;
      }
      const operation = r.querySelector('.op').value;
      const value = operation === 'range'
        ? { lower_range: r.querySelector('.value').value.trim(), upper_range: r.querySelector('.upper').value.trim() }
        : r.querySelector('.value').value;
      out.push({ key, operation, value });
    });
    if (from.value || to.value) {
      out.push({ key: 'time', operation: 'range', value: {
        lower_range: from.value ? new Date(from.value).toISOString() : '',
        upper_range: to.value ? new Date(to.value).toISOString() : '' } });
    }
    return out;
  }

  async function run(after) {
    const body = { filters: filters(), match: match.value, limit: Number(limit.value) || 50 };
    if (after) {
      body.after = after;
    }
    const path = `/v1/destinations/${encodeURIComponent(dest.value)}/query`;
    let r;
    try {
      r = await call('POST', path, body);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 422)) {
        results.replaceChildren(message(`Destination ${dest.value} does not answer queries here: ${errorText(e)}`));
      } else {
        results.replaceChildren(message(errorText(e)));
      }
      return;
    }
    const list = r.records || [];
    const pager = h('p', { class: 'actions' },
      h('button', { type: 'button', disabled: cursors.length === 0, onclick: () => {
        cursors.pop();
        run(cursors[cursors.length - 1]);
      } }, 'Previous page'),
      h('button', { type: 'button', disabled: !r.next, onclick: () => {
        cursors.push(r.next);
        run(r.next);
      } }, 'Next page'));
    results.replaceChildren(h('p', { role: 'status' }, `${r.count} record(s) on this page`),
      h('ol', { class: 'records' }, list.map((rec) => h('li', {}, h('details', {},
        h('summary', {}, rec.time || rec.timestamp || '', ' ', (rec.message || JSON.stringify(rec)).slice(0, 160)),
        h('pre', {}, JSON.stringify(rec, null, 2)))))), pager);
  }

  const form = h('form', { id: 'search-form' },
    h('div', { class: 'field' }, h('label', { for: 'search-destination' }, 'Destination'), dest), rows,
    h('button', { type: 'button', onclick: addRow }, 'Add filter'),
    h('div', { class: 'field' }, h('label', { for: 'match' }, 'Match'), match),
    h('fieldset', {}, h('legend', {}, 'Time range (one more range filter on the record time)'),
      h('label', { for: 'from' }, 'From'), from, h('label', { for: 'to' }, 'To'), to),
    h('div', { class: 'field' }, h('label', { for: 'limit' }, 'Records per page'), limit),
    h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    cursors.length = 0;
    run(null);
  });
  page('Search', h('p', {}, 'For destinations that answer queries (POST /v1/destinations/{name}/query).'),
    destinations.length ? form : h('p', {}, 'No destinations.'), status, results);
  return null;
}

// ------------------------------------------------------------------ router

async function route() {
  clearInterval(refreshTimer);
  eventListeners.clear();
  const hash = location.hash;
  main.dataset.route = '';
  const parts = (location.hash.replace(/^#\/?/, '') || 'workflows').split('/').map(decodeURIComponent);
  let refresh = null;
  try {
    switch (parts[0]) {
      case 'workflow':
        refresh = await workflowPage(parts[1]);
        break;
      case 'dead-letters':
        refresh = await deadLettersPage(parts[1]);
        break;
      case 'events':
        refresh = eventsPage();
        break;
      case 'new':
        await editPage(parts[1] || 'workflows');
        break;
      case 'edit':
        await editPage(parts[1], parts[2]);
        break;
      case 'search':
        await searchPage();
        break;
      default:
        refresh = await workflowsPage();
    }
  } catch (e) {
    page('Error', message(errorText(e)));
  }
  if (refresh) {
    eventListeners.add(() => refresh());
  }
  if (location.hash === hash) {
    main.dataset.route = hash || '#/workflows'; // this page is drawn (the browser tests wait for it)
  }
  document.querySelectorAll('nav a').forEach((a) => {
    const current = location.hash.startsWith(a.getAttribute('href'));
    if (current) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  });
}

window.addEventListener('hashchange', () => {
  route();
  main.focus();
});
showAuth();
connectEvents();
route();
