// Renders this server's own OpenAPI document; no external assets.
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
  kids.forEach(k => e.append(k));
  return e;
};
const refName = s => s && s.$ref ? s.$ref.split('/').pop() : null;
function schemaText(schema, doc, depth = 0) {
  const name = refName(schema);
  const resolved = name ? doc.components.schemas[name] : schema;
  if (!resolved || depth > 1) return name || '';
  return JSON.stringify(resolved.properties ? Object.fromEntries(Object.entries(resolved.properties)
    .map(([k, v]) => [k, refName(v) || v.type || (v.oneOf || v.anyOf || []).map(x => refName(x) || x.type).join('|')])) : resolved, null, 2);
}
function operation(path, method, op, doc) {
  const body = el('div', {class: 'body'});
  if (op.description) body.append(el('p', {}, op.description));
  if (op.parameters && op.parameters.length) {
    const t = el('table', {}, el('tr', {}, el('th', {}, 'parameter'), el('th', {}, 'in'), el('th', {}, 'description')));
    op.parameters.forEach(p => t.append(el('tr', {}, el('td', {}, el('code', {}, p.name)), el('td', {}, p.in), el('td', {}, p.description || ''))));
    body.append(t);
  }
  const rb = op.requestBody && Object.values(op.requestBody.content)[0];
  if (rb) body.append(el('p', {}, el('b', {}, 'Request body')), el('pre', {}, schemaText(rb.schema, doc)));
  const t = el('table', {}, el('tr', {}, el('th', {}, 'status'), el('th', {}, 'meaning'), el('th', {}, 'body')));
  Object.entries(op.responses).forEach(([status, r]) => {
    const c = r.content && Object.values(r.content)[0];
    t.append(el('tr', {}, el('td', {}, status), el('td', {}, r.description || ''), el('td', {}, el('code', {}, c ? refName(c.schema) || '' : ''))));
  });
  body.append(el('p', {}, el('b', {}, 'Responses')), t);
  return el('details', {}, el('summary', {}, el('span', {class: 'm ' + method}, method.toUpperCase()), path, '  ', op.summary || ''), body);
}
fetch('/openapi.json').then(r => r.json()).then(doc => {
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  document.getElementById('desc').textContent = doc.info.description || '';
  const byTag = {};
  Object.entries(doc.paths).forEach(([path, item]) => ['get', 'post', 'put', 'patch', 'delete'].forEach(m => {
    if (item[m]) (byTag[(item[m].tags || ['other'])[0]] ||= []).push(operation(path, m, item[m], doc));
  }));
  const main = document.getElementById('ops');
  main.textContent = '';
  const order = (doc.tags || []).map(t => t.name);
  Object.keys(byTag).sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
    .forEach(tag => main.append(el('h2', {}, tag), ...byTag[tag]));
});
