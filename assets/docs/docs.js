// The API reference page: loads this server's /openapi.json, builds the
// sidebar (by tag) at once, and renders one operation, tag or schema at a
// time from the URL hash so the large document stays fast.
import { h, slug } from './h.js';
import { markdownBlock, renderInline } from './markdown.js';
import { setDocument, deref, refName, typeLabel, schemaView, mediaExample, constraintList } from './schema.js';
import { tryItPanel } from './tryit.js';
import { initSearch } from './search.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'];
const main = document.getElementById('main');
const toc = document.getElementById('toc');
const state = { doc: null, ops: [], byId: new Map(), groups: [] };

const tagTitle = t => String(t).charAt(0).toUpperCase() + String(t).slice(1);
const badge = m => h('span', { class: 'badge m-' + m }, m === 'delete' ? 'DEL' : m.toUpperCase());

function collect(doc) {
  const ops = [];
  const add = (path, item, kind) => {
    for (const m of METHODS) {
      const op = item[m];
      if (!op || typeof op !== 'object') continue;
      // Path-level parameters apply unless the operation redefines them.
      const own = (op.parameters || []).map(deref);
      const inherited = (item.parameters || []).map(deref).filter(p => !own.some(q => q.name === p.name && q.in === p.in));
      const id = op.operationId || slug(`${m}-${path}`);
      ops.push({
        id, anchor: 'op-' + slug(id), method: m, path, op, kind, params: [...inherited, ...own],
        tag: kind === 'webhook' ? 'webhook events' : (op.tags && op.tags[0]) || 'other',
        compat: path.startsWith('/compat/'),
      });
    }
  };
  for (const [path, item] of Object.entries(doc.paths || {})) add(path, item, 'path');
  for (const [name, item] of Object.entries(doc.webhooks || {})) add(name, item, 'webhook');
  // A dialect operation filed under a canonical tag gets its dialect's own group.
  const canonicalTags = new Set(ops.filter(o => !o.compat).map(o => o.tag));
  for (const o of ops) if (o.compat && canonicalTags.has(o.tag)) o.tag = o.path.split('/')[2] || 'compat';
  return ops;
}

// Canonical tags in the document's order, then webhook events, then the
// vendor dialects (their tags hold only /compat/ operations).
function group(doc, ops) {
  const declared = (doc.tags || []).map(t => t.name);
  const byTag = new Map();
  for (const o of ops) {
    if (!byTag.has(o.tag)) byTag.set(o.tag, []);
    byTag.get(o.tag).push(o);
  }
  const tagInfo = name => (doc.tags || []).find(t => t.name === name) || { name };
  const out = [];
  const canonical = [...declared, ...[...byTag.keys()].filter(t => !declared.includes(t))]
    .filter(t => byTag.has(t) && !byTag.get(t).every(o => o.compat || o.kind === 'webhook'));
  for (const t of canonical) out.push({ section: 'API', tag: tagInfo(t), ops: byTag.get(t) });
  for (const [t, list] of byTag) {
    if (!list.every(o => o.kind === 'webhook')) continue;
    const info = tagInfo(t);
    out.push({ section: 'Webhook events', tag: { ...info, description: info.description || 'What this server `POST`s to each webhook subscription\'s URL, one operation per event type. Subscribe under [webhooks](#tag-webhooks).' }, ops: list });
  }
  const compat = [...byTag.keys()].filter(t => !canonical.includes(t) && byTag.get(t).every(o => o.compat)).sort();
  for (const t of compat) {
    const info = tagInfo(t);
    const prefix = commonPrefix(byTag.get(t).map(o => o.path));
    out.push({ section: 'Vendor dialects', tag: { ...info, description: info.description || `The \`${t}\` dialect, served under \`${prefix}\`.` }, ops: byTag.get(t) });
  }
  for (const g of out) g.anchor = 'tag-' + slug(g.tag.name);
  return out;
}

function commonPrefix(paths) {
  if (!paths.length) return '/';
  let p = paths[0];
  for (const q of paths) while (!q.startsWith(p)) p = p.slice(0, -1);
  return p.replace(/[^/]*$/, '') || '/';
}

function renderSidebar() {
  const list = h('ul', { class: 'toc-list' });
  list.append(h('li', null, h('a', { href: '#intro', class: 'toc-link intro-link' }, 'Introduction')));
  let section = null;
  for (const g of state.groups) {
    if (g.section !== section) {
      section = g.section;
      const alone = state.groups.filter(x => x.section === section).length === 1 && g.tag.name.toLowerCase() === section.toLowerCase();
      if (section !== 'API' && !alone) list.append(h('li', { class: 'toc-section', 'data-section': section }, section));
    }
    const ul = h('ul', { class: 'toc-ops' });
    for (const o of g.ops) {
      o.link = h('a', { href: '#' + o.anchor, class: 'toc-link op-link', id: 'nav-' + o.anchor, title: `${o.method.toUpperCase()} ${o.path}` },
        badge(o.method), h('span', { class: 'op-name' }, o.kind === 'webhook' ? o.path : o.op.summary || o.path));
      o.li = h('li', null, o.link);
      ul.append(o.li);
    }
    g.countEl = h('span', { class: 'count' }, String(g.ops.length));
    g.li = h('li', { class: 'toc-tag' }, h('a', { href: '#' + g.anchor, class: 'toc-link tag-link' }, tagTitle(g.tag.name), g.countEl), ul);
    list.append(g.li);
  }
  const names = Object.keys(state.doc.components?.schemas || {});
  const schemaList = h('ul', { class: 'toc-ops' }, names.map(n => h('li', null, h('a', { href: '#schema-' + encodeURIComponent(n), class: 'toc-link schema-link' }, n))));
  state.schemaDetails = h('details', { class: 'toc-schemas' }, h('summary', null, `Schemas (${names.length})`), schemaList);
  list.append(h('li', { class: 'toc-section' }, 'Reference'), h('li', { class: 'toc-tag' }, state.schemaDetails));
  toc.textContent = '';
  toc.append(list);
}

// ---------- views ----------

function introView() {
  const doc = state.doc;
  const info = doc.info || {};
  const els = [h('h1', { tabindex: '-1' }, `${info.title || 'API'} API reference`),
    h('p', { class: 'lede' }, `Version ${info.version || ''} · OpenAPI ${doc.openapi || ''} · `, h('a', { href: '/openapi.json' }, 'openapi.json'))];
  if (info.description) els.push(markdownBlock(info.description, { headingOffset: 1 }));
  const schemes = doc.components?.securitySchemes || {};
  if (Object.keys(schemes).length) {
    els.push(h('h2', null, 'Authentication'),
      h('ul', null, Object.entries(schemes).map(([k, s]) => h('li', null, h('code', null, k), ': ',
        s.type === 'apiKey' && s.in === 'cookie' ? ['the ', h('code', null, s.name), ' cookie']
          : s.type === 'apiKey' ? ['an API key in the ', h('code', null, s.name), ' ', s.in] : s.type === 'http' ? ['HTTP ', h('code', null, s.scheme), ' authentication'] : s.type,
        s.description ? [' — ', renderInline(s.description)] : null))),
      h('p', null, 'Each operation\'s "Try it" panel sends requests to this server with your console session (sign in at ', h('a', { href: '/console' }, '/console'), ') or an API key you paste.'));
  }
  let section = null, dl = null;
  for (const g of state.groups) {
    if (g.section !== section) {
      section = g.section;
      els.push(h('h2', null, section === 'API' ? 'Resources' : section));
      dl = h('dl', { class: 'tag-index' });
      els.push(dl);
    }
    dl.append(h('dt', null, h('a', { href: '#' + g.anchor }, tagTitle(g.tag.name)), h('span', { class: 'count' }, ` ${g.ops.length} operation${g.ops.length === 1 ? '' : 's'}`)),
      h('dd', null, g.tag.description ? markdownBlock(g.tag.description) : null));
  }
  return els;
}

function tagView(g) {
  const els = [h('p', { class: 'crumb' }, g.section === 'API' ? 'Resource' : g.section), h('h1', { tabindex: '-1' }, tagTitle(g.tag.name))];
  if (g.tag.description) els.push(markdownBlock(g.tag.description, { headingOffset: 1 }));
  if (g.tag.externalDocs?.url) els.push(h('p', null, markdownBlock(`[${g.tag.externalDocs.description || 'More'}](${g.tag.externalDocs.url})`)));
  els.push(h('ul', { class: 'op-index' }, g.ops.map(o => h('li', null,
    h('a', { href: '#' + o.anchor }, badge(o.method), h('code', { class: 'path' }, o.path), h('span', { class: 'op-summary' }, o.op.summary ? renderInline(o.op.summary) : ''))))));
  return els;
}

function paramsTable(params) {
  const order = { path: 0, query: 1, header: 2, cookie: 3 };
  const rows = [...params].sort((a, b) => order[a.in] - order[b.in]).map(p => {
    const s = p.schema || (p.content && Object.values(p.content)[0]?.schema) || {};
    return h('tr', null,
      h('td', { class: 'prop' }, h('code', null, p.name), p.required ? h('span', { class: 'req' }, 'required') : null, p.deprecated ? h('span', { class: 'tag-dep' }, 'deprecated') : null),
      h('td', null, p.in),
      h('td', { class: 'type' }, typeLabel(s)),
      h('td', { class: 'desc' }, p.description ? markdownBlock(p.description, { headingOffset: 4 }) : null, constraintList(s),
        p.example !== undefined ? h('p', { class: 'constraints' }, 'example ', h('code', null, JSON.stringify(p.example))) : null));
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'params' },
    h('thead', null, h('tr', null, ['Name', 'In', 'Type', 'Description'].map(t => h('th', { scope: 'col' }, t)))), h('tbody', null, rows)));
}

function exampleBlock(media, label, request = false, name = 'Example') {
  const ex = mediaExample(media, { request });
  if (ex.value === undefined) return null;
  const text = typeof ex.value === 'string' && !/json/.test(label || '') ? ex.value : JSON.stringify(ex.value, null, 2);
  return h('div', { class: 'example' },
    h('p', { class: 'label' }, 'Example', ex.source === 'generated' ? h('span', { class: 'muted' }, ' (built from the schema)') : null, ex.summary ? ` — ${ex.summary}` : null),
    h('pre', { class: 'code', tabindex: '0', role: 'region', 'aria-label': name }, h('code', null, text)));
}

const isProblem = (ct, schema) => /problem\+json/.test(ct) || /Problem$|Error$/.test(refName(schema) || '');

// name: the example's accessible name, unique on the page (a request, or a response's status).
function mediaBlock(ct, media, request = false, name = request ? 'Example request' : 'Example') {
  return h('div', { class: 'media' },
    h('p', { class: 'media-type' }, 'Content type ', h('code', null, ct)),
    media.schema ? schemaView(media.schema) : null,
    exampleBlock(media, ct, request, name));
}

function responsesSection(o) {
  const responses = Object.entries(o.op.responses || {});
  const rows = [], details = [];
  for (const [status, r0] of responses) {
    const r = deref(r0);
    const content = Object.entries(r.content || {});
    const problem = content.length && content.every(([ct, m]) => isProblem(ct, m.schema));
    const cls = /^2/.test(status) ? 'ok' : /^3/.test(status) ? 'redir' : 'bad';
    const bodyCell = content.length
      ? content.map(([ct, m], k) => [k ? ', ' : null, m.schema ? typeLabel(m.schema) : 'body', h('span', { class: 'muted' }, ` (${ct})`)])
      : h('span', { class: 'muted' }, 'no body');
    const statusAnchor = `${o.anchor}-${status}`;
    rows.push(h('tr', null,
      h('td', null, problem || !content.length ? h('span', { class: 'status ' + cls }, status) : h('a', { href: '#' + statusAnchor, class: 'status ' + cls, 'data-jump': statusAnchor }, status)),
      h('td', { class: 'desc' }, r.description ? markdownBlock(r.description) : null),
      h('td', null, bodyCell)));
    if (!problem && (content.length || r.headers)) {
      const d = h('details', { class: 'response', id: statusAnchor, open: /^2/.test(status) && !details.some(x => x.open) ? true : null },
        h('summary', null, h('span', { class: 'status ' + cls }, status), ' ', r.description ? renderInline(r.description.split('\n')[0]) : ''));
      if (r.headers) {
        d.append(h('p', { class: 'label' }, 'Headers'), h('div', { class: 'table-wrap' }, h('table', { class: 'params' },
          h('thead', null, h('tr', null, ['Header', 'Type', 'Description'].map(t => h('th', { scope: 'col' }, t)))),
          h('tbody', null, Object.entries(r.headers).map(([name, hd0]) => {
            const hd = deref(hd0);
            return h('tr', null, h('td', { class: 'prop' }, h('code', null, name)), h('td', { class: 'type' }, typeLabel(hd.schema || {})),
              h('td', { class: 'desc' }, hd.description ? markdownBlock(hd.description) : null));
          })))));
      }
      for (const [ct, m] of content) d.append(mediaBlock(ct, m, false, `Example ${status} response`));
      details.push(d);
    }
  }
  const problemNote = responses.some(([, r]) => Object.entries(deref(r).content || {}).some(([ct, m]) => isProblem(ct, m.schema)))
    ? h('p', { class: 'muted' }, 'Errors are ', h('code', null, 'application/problem+json'), ': see the ', h('a', { href: '#schema-Problem' }, 'Problem'), ' schema.')
    : null;
  return h('section', { 'aria-labelledby': o.anchor + '-responses' },
    h('h2', { id: o.anchor + '-responses' }, 'Responses'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'responses' },
      h('thead', null, h('tr', null, ['Status', 'Description', 'Body'].map(t => h('th', { scope: 'col' }, t)))), h('tbody', null, rows))),
    problemNote, details);
}

function security(o) {
  const sec = o.op.security ?? state.doc.security;
  if (!sec) return null;
  if (!sec.length || sec.some(s => !Object.keys(s).length)) return h('span', { class: 'pill' }, 'No authentication');
  const names = [...new Set(sec.flatMap(s => Object.keys(s)))];
  const list = names.length > 1 ? names.slice(0, -1).join(', ') + ' or ' + names[names.length - 1] : names[0];
  return h('span', { class: 'pill' }, 'Auth: ', list.replace(/_/g, ' '));
}

function opView(o) {
  const op = o.op;
  const g = state.groups.find(x => x.ops.includes(o));
  const els = [
    h('p', { class: 'crumb' }, h('a', { href: '#' + g.anchor }, tagTitle(g.tag.name)), o.kind === 'webhook' ? ' · sent by this server to your URL' : null),
    h('h1', { tabindex: '-1', class: 'op-title' }, badge(o.method), ' ', op.summary ? renderInline(op.summary) : o.path),
    h('p', { class: 'op-path' }, h('span', { class: 'method-text' }, o.method.toUpperCase()), ' ', h('code', null, o.path),
      ' ', o.kind === 'webhook' ? h('span', { class: 'pill' }, 'Signed: webhook-signature') : security(o), op.deprecated ? h('span', { class: 'pill dep' }, 'Deprecated') : null,
      h('span', { class: 'op-id' }, ' ', h('code', null, o.id))),
  ];
  if (op.description) els.push(markdownBlock(op.description, { headingOffset: 1 }));
  if (o.params.length) els.push(h('section', null, h('h2', null, 'Parameters'), paramsTable(o.params)));
  const rb = op.requestBody && deref(op.requestBody);
  if (rb && rb.content) {
    els.push(h('section', null, h('h2', null, 'Request body', rb.required ? h('span', { class: 'req' }, 'required') : null),
      rb.description ? markdownBlock(rb.description) : null,
      Object.entries(rb.content).map(([ct, m]) => mediaBlock(ct, m, true))));
  }
  els.push(responsesSection(o));
  if (o.kind === 'path') els.push(tryItPanel(o));
  const prev = state.ordered[state.ordered.indexOf(o) - 1], next = state.ordered[state.ordered.indexOf(o) + 1];
  els.push(h('nav', { class: 'pager', 'aria-label': 'Previous and next operation' },
    prev ? h('a', { href: '#' + prev.anchor, rel: 'prev' }, '← ', prev.op.summary || prev.path) : h('span'),
    next ? h('a', { href: '#' + next.anchor, rel: 'next' }, next.op.summary || next.path, ' →') : h('span')));
  return els;
}

function schemaPage(name) {
  const s = state.doc.components?.schemas?.[name];
  if (!s) return notFound();
  const ref = { $ref: '#/components/schemas/' + name };
  const users = state.ops.filter(o => JSON.stringify([o.op.requestBody, o.op.responses]).includes(`"#/components/schemas/${name}"`));
  return [h('p', { class: 'crumb' }, 'Schema'), h('h1', { tabindex: '-1' }, name), schemaView(ref, new Set(), { standalone: true }),
    exampleBlock({ schema: ref }, 'json'),
    users.length ? [h('h2', null, 'Used by'), h('ul', { class: 'op-index' }, users.slice(0, 50).map(o => h('li', null, h('a', { href: '#' + o.anchor }, badge(o.method), h('code', { class: 'path' }, o.path), h('span', { class: 'op-summary' }, o.op.summary || '')))))] : null];
}

function notFound() {
  return [h('h1', { tabindex: '-1' }, 'Not found'), h('p', null, 'Nothing in this document has that link. ', h('a', { href: '#intro' }, 'Back to the introduction'), '.')];
}

// ---------- routing ----------

let current = null;
function route(focus) {
  let hash = location.hash.slice(1);
  try { hash = decodeURIComponent(hash); } catch { /* a malformed escape: use it as is */ }
  if (hash === 'main') return;
  let els, navHref = '#' + hash;
  if (!hash || hash === 'intro') { els = introView(); navHref = '#intro'; }
  else if (hash.startsWith('op-')) {
    // `#op-<id>-<status>` jumps to a response inside an operation.
    let o = state.byId.get(hash);
    if (!o) { const base = [...state.byId.keys()].find(k => hash.startsWith(k + '-')); o = base && state.byId.get(base); }
    els = o ? opView(o) : notFound();
    navHref = o ? '#' + o.anchor : navHref;
  } else if (hash.startsWith('tag-')) {
    const g = state.groups.find(x => x.anchor === hash);
    els = g ? tagView(g) : notFound();
  } else if (hash.startsWith('schema-')) {
    els = schemaPage(hash.slice(7));
    navHref = '#schema-' + encodeURIComponent(hash.slice(7));
    state.schemaDetails.open = true;
  } else {
    const o = state.ops.find(x => x.id === hash); // a bare operationId
    els = o ? opView(o) : notFound();
  }
  if (current !== navHref || !main.querySelector('h1')) {
    main.textContent = '';
    main.append(h('article', { class: 'doc' }, els));
    window.scrollTo(0, 0);
    main.scrollTop = 0;
    current = navHref;
  }
  const sub = document.getElementById(hash);
  if (sub && sub !== main) { if (sub.tagName === 'DETAILS') sub.open = true; sub.scrollIntoView(); }
  const title = main.querySelector('h1');
  document.title = `${title ? title.textContent.replace(/^(GET|POST|PUT|PATCH|DEL|HEAD)\s*/, '') : 'API'} · ${state.doc.info?.title || 'API'} reference`;
  for (const a of toc.querySelectorAll('[aria-current]')) { a.removeAttribute('aria-current'); }
  const link = [...toc.querySelectorAll('a.toc-link')].find(a => a.getAttribute('href') === navHref);
  if (link) { link.setAttribute('aria-current', 'page'); link.scrollIntoView({ block: 'nearest' }); }
  if (focus && title) title.focus({ preventScroll: true });
  closeNav();
}

// ---------- phone layout ----------

const toggle = document.getElementById('nav-toggle');
const sidebar = document.getElementById('sidebar');
function closeNav() { document.body.classList.remove('nav-open'); toggle.setAttribute('aria-expanded', 'false'); }
toggle.addEventListener('click', () => {
  const open = !document.body.classList.contains('nav-open');
  document.body.classList.toggle('nav-open', open);
  toggle.setAttribute('aria-expanded', String(open));
  if (open) document.getElementById('search').focus();
});
document.addEventListener('keydown', e => {
  if (e.key === 'Escape' && document.body.classList.contains('nav-open') && !sidebar.querySelector('#search:focus')) { closeNav(); toggle.focus(); }
});

// The skip link moves focus without touching the hash (the hash is the router's).
document.querySelector('.skip')?.addEventListener('click', e => {
  e.preventDefault();
  (main.querySelector('h1') || main).focus();
});

// In-page jumps to a response (links inside an operation) keep the view.
main.addEventListener('click', e => {
  const a = e.target.closest('a[data-jump]');
  if (!a) return;
  const target = document.getElementById(a.dataset.jump);
  if (target) { e.preventDefault(); target.open = true; target.scrollIntoView(); history.replaceState(null, '', '#' + a.dataset.jump); target.querySelector('summary')?.focus(); }
});

async function start() {
  let doc;
  try {
    const r = await fetch('/openapi.json', { headers: { Accept: 'application/json' } });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    doc = await r.json();
  } catch (e) {
    main.textContent = '';
    main.append(h('div', { class: 'error', role: 'alert' }, h('h1', null, 'The API document could not be loaded'), h('p', null, String(e.message || e), '. ', h('a', { href: '/docs' }, 'Try again'), '.')));
    toc.textContent = '';
    return;
  }
  state.doc = doc;
  setDocument(doc);
  document.getElementById('title').textContent = doc.info?.title || 'API';
  document.getElementById('version').textContent = doc.info?.version ? 'v' + doc.info.version : '';
  state.ops = collect(doc);
  state.groups = group(doc, state.ops);
  state.ordered = state.groups.flatMap(g => g.ops);
  for (const o of state.ops) state.byId.set(o.anchor, o);
  renderSidebar();
  initSearch({ input: document.getElementById('search'), status: document.getElementById('search-status'), groups: state.groups, toc, onPick: a => { location.hash = a.getAttribute('href'); } });
  addEventListener('hashchange', () => route(true));
  route(false);
  document.body.classList.add('ready');
}

start();
