// JSON Schema (OpenAPI 3.1) helpers: $ref resolution, type labels, property
// tables with lazily expanded nested objects, and example generation.
import { h } from './h.js';
import { markdownBlock, renderMarkdown } from './markdown.js';

let DOC = null;
export function setDocument(doc) { DOC = doc; }

export const refName = s => (s && typeof s.$ref === 'string' ? decodeURIComponent(s.$ref.split('/').pop()).replace(/~1/g, '/').replace(/~0/g, '~') : null);

// Resolves a local JSON pointer ($ref) in the document.
export function deref(obj) {
  let guard = 0;
  while (obj && typeof obj.$ref === 'string' && guard++ < 20) {
    if (!obj.$ref.startsWith('#/')) return {};
    let cur = DOC;
    for (const part of obj.$ref.slice(2).split('/')) {
      cur = cur?.[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    obj = cur || {};
  }
  return obj || {};
}

const types = s => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);
const isNullSchema = s => { const t = types(s); return t.length === 1 && t[0] === 'null'; };

// allOf members merged into one object schema (properties and required united).
export function mergeAllOf(s) {
  if (!s.allOf) return s;
  const out = { ...s, properties: { ...(s.properties || {}) }, required: [...(s.required || [])] };
  delete out.allOf;
  for (const part of s.allOf) {
    const p = mergeAllOf(deref(part));
    Object.assign(out.properties, p.properties || {});
    out.required.push(...(p.required || []));
    if (!out.type && p.type) out.type = p.type;
    if (!out.description && p.description) out.description = p.description;
  }
  return out;
}

// The non-null alternatives of a oneOf/anyOf, and whether null is allowed.
function alternatives(s) {
  const alts = s.oneOf || s.anyOf || [];
  return { list: alts.filter(a => !isNullSchema(a)), nullable: alts.some(isNullSchema) };
}

export function isNullable(s) {
  const r = deref(s);
  return types(r).includes('null') || alternatives(r).nullable || r.nullable === true;
}

const refLink = name => h('a', { href: '#schema-' + encodeURIComponent(name), class: 'ref' }, name);

// A compact type label: nodes such as `string (email)`, `array of AddressWrite`, `A | B`.
export function typeLabel(s, depth = 0) {
  if (!s || depth > 4) return ['any'];
  const name = refName(s);
  if (name) return [refLink(name)];
  if (s.allOf) {
    if (s.allOf.length === 1) return typeLabel(s.allOf[0], depth + 1);
    return join(s.allOf.map(x => typeLabel(x, depth + 1)), ' & ');
  }
  if (s.oneOf || s.anyOf) {
    const parts = (s.oneOf || s.anyOf).map(x => isNullSchema(x) ? ['null'] : typeLabel(x, depth + 1));
    return join(parts, s.oneOf ? ' | ' : ' or ');
  }
  if ('const' in s) return ['const ', h('code', null, JSON.stringify(s.const))];
  const ts = types(s);
  if (!ts.length) return [s.properties ? 'object' : s.items ? 'array' : 'any'];
  return join(ts.map(t => {
    if (t === 'array') return s.items ? ['array of ', ...typeLabel(s.items, depth + 1)] : ['array'];
    if (t === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties)
      return ['map of ', ...typeLabel(s.additionalProperties, depth + 1)];
    return [t + (s.format && t !== 'null' ? ` (${s.format})` : '')];
  }), ' | ');
}

function join(parts, sep) {
  const out = [];
  parts.forEach((p, i) => { if (i) out.push(sep); out.push(...p); });
  return out;
}

const fmtNum = n => (Math.abs(n) >= 2 ** 53 ? null : String(n));

// Constraint notes for a schema (length, range, enum, pattern, default, …).
export function constraints(s) {
  s = deref(s);
  const out = [];
  const code = v => h('code', null, typeof v === 'string' ? v : JSON.stringify(v));
  const enumVals = s.enum || (s.items && deref(s.items).enum);
  if (enumVals) out.push(['one of ', ...join(enumVals.map(v => [code(v)]), ', ')]);
  if (s.minLength != null && s.maxLength != null) out.push([`${s.minLength}–${s.maxLength} characters`]);
  else if (s.maxLength != null) out.push([`at most ${s.maxLength} characters`]);
  else if (s.minLength != null) out.push([`at least ${s.minLength} characters`]);
  const min = s.minimum != null ? fmtNum(s.minimum) : null, max = s.maximum != null ? fmtNum(s.maximum) : null;
  if (min != null && max != null) out.push([`${min} to ${max}`]);
  else if (min != null) out.push([`≥ ${min}`]);
  else if (max != null) out.push([`≤ ${max}`]);
  if (s.exclusiveMinimum != null) out.push([`> ${s.exclusiveMinimum}`]);
  if (s.exclusiveMaximum != null) out.push([`< ${s.exclusiveMaximum}`]);
  if (s.minItems != null && s.maxItems != null) out.push([`${s.minItems}–${s.maxItems} items`]);
  else if (s.maxItems != null) out.push([`at most ${s.maxItems} items`]);
  else if (s.minItems != null) out.push([`at least ${s.minItems} items`]);
  if (s.uniqueItems) out.push(['unique items']);
  if (s.maxProperties != null) out.push([`at most ${s.maxProperties} keys`]);
  if (s.pattern) out.push(['pattern ', code(s.pattern)]);
  if (s.default !== undefined) out.push(['default ', code(s.default)]);
  if (s.readOnly) out.push(['read-only']);
  if (s.writeOnly) out.push(['write-only']);
  if (s.deprecated) out.push(['deprecated']);
  return out;
}

export function constraintList(s) {
  const cs = constraints(s);
  if (!cs.length) return null;
  return h('p', { class: 'constraints' }, join(cs, ' · '));
}

// What a property expands to: an object schema with properties (possibly
// through $ref, array items or a single non-null alternative), or a list of
// alternatives. Returns null when there is nothing to expand.
function expansion(s, depth = 0) {
  if (!s || depth > 6) return null;
  const name = refName(s);
  let r = mergeAllOf(deref(s));
  if (r.properties && Object.keys(r.properties).length) return { kind: 'object', schema: r, name };
  if (types(r).includes('array') && r.items) {
    const inner = expansion(r.items, depth + 1);
    return inner ? { ...inner, array: true } : null;
  }
  const alts = alternatives(r).list;
  if (alts.length === 1) return expansion(alts[0], depth + 1);
  if (alts.length > 1) {
    const list = alts.map(a => ({ schema: a, exp: expansion(a, depth + 1) }));
    return list.some(x => x.exp) ? { kind: 'alts', list, name } : null;
  }
  return null;
}

// A properties table for an object schema. `seen` holds the $ref names on the
// path from the root so recursive schemas stop instead of expanding forever.
export function propertiesTable(obj, seen = new Set(), depth = 0) {
  const props = obj.properties || {};
  const required = new Set(obj.required || []);
  const tbody = h('tbody');
  const names = Object.keys(props).sort((a, b) => (required.has(b) - required.has(a)));
  for (const name of names) {
    const p = props[name];
    const r = deref(p);
    const desc = p.description || r.description;
    tbody.append(h('tr', null,
      h('td', { class: 'prop' }, h('code', null, name), required.has(name) ? h('span', { class: 'req' }, 'required') : null),
      h('td', { class: 'type' }, typeLabel(p), isNullable(p) && !types(r).includes('null') && !alternatives(r).nullable ? ' | null' : null),
      h('td', { class: 'desc' }, desc ? markdownBlock(desc, { headingOffset: 4 }) : null, constraintList(p))));
    const exp = expansion(p);
    if (exp && depth < 12) tbody.append(nestedRow(name, exp, seen, depth, Object.keys(props).length <= 2 && depth === 0));
  }
  if (obj.additionalProperties && typeof obj.additionalProperties === 'object') {
    tbody.append(h('tr', null, h('td', { class: 'prop' }, h('em', null, 'any key')),
      h('td', { class: 'type' }, typeLabel(obj.additionalProperties)), h('td', { class: 'desc' }, constraintList(obj.additionalProperties))));
  }
  if (!tbody.children.length) return h('p', { class: 'muted' }, 'An object with no fixed fields.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'props' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Description'))),
    tbody));
}

function nestedRow(name, exp, seen, depth, open) {
  const cell = h('td', { colspan: '3', class: 'nested' });
  const recursive = exp.name && seen.has(exp.name);
  if (recursive) {
    cell.append(h('p', { class: 'muted' }, 'Recursive: see ', refLink(exp.name), '.'));
    return h('tr', { class: 'nested-row' }, cell);
  }
  const label = exp.kind === 'alts'
    ? `${name}: one of ${exp.list.length} shapes`
    : `${name}${exp.array ? '[]' : ''}: ${Object.keys(exp.schema.properties).length} fields${exp.name ? ' of ' + exp.name : ''}`;
  const det = h('details', null, h('summary', null, label));
  let filled = false;
  const fill = () => {
    if (filled) return;
    filled = true;
    const next = new Set(seen);
    if (exp.name) next.add(exp.name);
    if (exp.kind === 'alts') {
      exp.list.forEach((alt, k) => {
        const an = refName(alt.schema);
        det.append(h('p', { class: 'alt-label' }, `Shape ${k + 1}: `, typeLabel(alt.schema)));
        if (alt.exp && !(alt.exp.name && next.has(alt.exp.name))) {
          const n2 = new Set(next); if (an) n2.add(an);
          det.append(propertiesTable(alt.exp.schema, n2, depth + 1));
        }
      });
    } else {
      det.append(propertiesTable(exp.schema, next, depth + 1));
    }
  };
  det.addEventListener('toggle', () => { if (det.open) fill(); });
  if (open) { fill(); det.open = true; }
  cell.append(det);
  return h('tr', { class: 'nested-row' }, cell);
}

// A full view of a schema: its type, description, and properties (or alternatives).
export function schemaView(s, seen = new Set(), { standalone = false } = {}) {
  const name = refName(s);
  const r = mergeAllOf(deref(s));
  const wrap = h('div', { class: 'schema' });
  if (!standalone) wrap.append(h('p', { class: 'schema-type' }, 'Schema: ', typeLabel(s)));
  if (name && r.description) wrap.append(markdownBlock(r.description, { headingOffset: 4 }));
  const next = new Set(seen); if (name) next.add(name);
  const exp = expansion(s);
  if (exp && exp.kind === 'object') {
    if (exp.array) wrap.append(h('p', { class: 'muted' }, 'An array; each item:'));
    if (exp.name && exp.name !== name) next.add(exp.name);
    wrap.append(propertiesTable(exp.schema, next));
  } else if (exp && exp.kind === 'alts') {
    exp.list.forEach((alt, k) => {
      wrap.append(h('p', { class: 'alt-label' }, `Shape ${k + 1}: `, typeLabel(alt.schema)));
      if (alt.exp) wrap.append(propertiesTable(alt.exp.schema, next));
    });
  } else {
    const c = constraintList(r);
    if (c) wrap.append(c);
  }
  return wrap;
}

// ---------- examples ----------

const FORMAT_EXAMPLES = {
  'date-time': '2026-01-15T09:30:00Z', date: '2026-01-15', time: '09:30:00', email: 'jane.doe@example.com',
  uuid: '0b9f8e3c-5d2a-4c71-9a36-2f4e8b1d7c60', uri: 'https://example.com/', url: 'https://example.com/',
  hostname: 'example.com', ipv4: '192.0.2.10', ipv6: '2001:db8::1', byte: 'aGVsbG8=', password: 'correct horse battery',
  'idn-email': 'jane.doe@example.com', 'uri-reference': '/v1/clients', duration: 'P1D',
};

// Plausible strings for common field names that have no example of their own.
const NAME_EXAMPLES = {
  city: 'Springfield', country: 'US', postal_code: '62701', line1: '1 Main Street', line2: 'Suite 200', region: 'IL',
  label: 'work', first_name: 'Jane', last_name: 'Doe', name: 'Jane Doe', phone: '+12125550187', title: 'Intake call',
  body: 'Called about the lease.', url: 'https://example.com/hook', description: 'A description', currency: 'USD',
};

function firstExample(s) {
  if (s.example !== undefined) return { value: s.example };
  if (Array.isArray(s.examples) && s.examples.length) return { value: s.examples[0] };
  return null;
}

function hasExampleDeep(s, depth = 0) {
  if (!s || depth > 3) return false;
  const r = deref(s);
  if (firstExample(r) || firstExample(s) || r.enum || 'const' in r) return true;
  if (r.properties) return Object.values(r.properties).some(p => hasExampleDeep(p, depth + 1));
  if (r.items) return hasExampleDeep(r.items, depth + 1);
  const alts = alternatives(r).list;
  return alts.length > 0 && hasExampleDeep(alts[0], depth + 1);
}

// Builds an example value for a schema: the document's own examples first,
// then enums' first values, formats, and one item per array.
export function exampleFor(s, seen = new Set(), depth = 0, prop = null) {
  if (!s || depth > 8) return null;
  const own = firstExample(s);
  if (own) return own.value;
  const name = refName(s);
  if (name) {
    if (seen.has(name)) return name.endsWith('List') ? [] : {};
    seen = new Set(seen).add(name);
  }
  let r = deref(s);
  const ex = firstExample(r);
  if (ex) return ex.value;
  r = mergeAllOf(r);
  if ('const' in r) return r.const;
  if (r.enum) return r.enum.find(v => v !== null) ?? null;
  if (r.default !== undefined) return r.default;
  const alts = alternatives(r);
  if (alts.list.length) return exampleFor(alts.list[0], seen, depth + 1);
  const ts = types(r).filter(t => t !== 'null');
  const t = ts[0] || (r.properties ? 'object' : r.items ? 'array' : types(r)[0]);
  switch (t) {
    case 'object': {
      const out = {};
      const props = r.properties || {};
      const req = new Set(r.required || []);
      // Required fields and those with examples make a realistic, short body.
      let keys = Object.keys(props).filter(k => req.has(k) || hasExampleDeep(props[k]));
      if (!keys.length) keys = Object.keys(props).slice(0, 8);
      for (const k of keys) {
        const p = props[k];
        if (deref(p).readOnly && depth === 0 && !req.has(k)) continue;
        out[k] = exampleFor(p, seen, depth + 1, k);
      }
      if (!Object.keys(props).length && r.additionalProperties && typeof r.additionalProperties === 'object')
        out.key = exampleFor(r.additionalProperties, seen, depth + 1);
      return out;
    }
    case 'array': {
      const item = exampleFor(r.items || {}, seen, depth + 1);
      return Array.from({ length: Math.max(1, Math.min(r.minItems || 1, 3)) }, () => item);
    }
    case 'string':
      if (r.format && FORMAT_EXAMPLES[r.format]) return FORMAT_EXAMPLES[r.format];
      if (r.minLength && r.minLength > 6) return 'x'.repeat(r.minLength);
      return (prop && NAME_EXAMPLES[prop]) || 'string';
    case 'integer':
    case 'number':
      if (r.minimum != null && fmtNum(r.minimum) != null) return r.minimum;
      return r.maximum != null && r.maximum < 0 ? r.maximum : 0;
    case 'boolean': return true;
    case 'null': return null;
    default: return null;
  }
}

// The example of a media type object: `example`, the first of `examples`, or generated.
// For a request body, `request` drops optional fields whose example is another
// record's id (`cli_…`): sending it as is would point at a record that does not exist.
export function mediaExample(media, { request = false } = {}) {
  const ex = mediaExample0(media);
  if (request && ex.source === 'generated' && ex.value && typeof ex.value === 'object' && !Array.isArray(ex.value)) {
    const req = new Set(mergeAllOf(deref(media.schema)).required || []);
    for (const [k, v] of Object.entries(ex.value)) {
      if (!req.has(k) && typeof v === 'string' && /^[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}$/.test(v)) delete ex.value[k];
    }
  }
  return ex;
}

function mediaExample0(media) {
  if (!media) return { value: undefined, source: null };
  if (media.example !== undefined) return { value: media.example, source: 'document' };
  if (media.examples && typeof media.examples === 'object') {
    const first = Object.values(media.examples)[0];
    const v = deref(first);
    if (v && v.value !== undefined) return { value: v.value, source: 'document', summary: v.summary };
  }
  if (!media.schema) return { value: undefined, source: null };
  const own = firstExample(deref(media.schema));
  return { value: exampleFor(media.schema), source: own ? 'document' : 'generated' };
}

export { renderMarkdown };
