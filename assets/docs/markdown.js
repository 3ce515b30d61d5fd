// A small CommonMark-ish Markdown renderer that builds DOM nodes directly.
// The source text is never parsed as HTML: raw HTML in it shows as text, and
// links are kept only for http(s), relative and #fragment destinations.

const PUNCT = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" };

function el(tag, attrs, kids) {
  const e = document.createElement(tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v != null) e.setAttribute(k, v);
  if (kids) for (const k of kids) e.append(k);
  return e;
}

// Only same-origin-relative, #fragment and http(s) destinations are links.
export function safeHref(url) {
  const u = String(url).trim();
  if (u.startsWith('#')) return u;
  if (/^https?:\/\//i.test(u)) return u;
  if (u.startsWith('//') || u.startsWith('\\')) return null; // protocol-relative: another origin
  if (/^[a-z][a-z0-9+.-]*:/i.test(u)) return null; // javascript:, data:, mailto:, …
  if (/[\u0000-\u001f]/.test(u)) return null;
  return u;
}

function decodeEntities(s) {
  return s.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+\d*);/gi, (m, name) => {
    if (name[0] === '#') {
      const n = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return n > 0 && n < 0x110000 ? String.fromCodePoint(n) : m;
    }
    return ENTITIES[name.toLowerCase()] ?? m;
  });
}

// ---------- inline ----------

// Index of the closing backtick run of exactly `n` backticks at or after `from`, or -1.
function closingTicks(s, from, n) {
  let i = from;
  while ((i = s.indexOf('`', i)) !== -1) {
    let j = i;
    while (s[j] === '`') j++;
    if (j - i === n) return i;
    i = j;
  }
  return -1;
}

const isSpace = c => c === undefined || /\s/.test(c);
const isAlnum = c => c !== undefined && /[\p{L}\p{N}]/u.test(c);

// Finds the closing emphasis delimiter (`*`, `**`, `_` or `__`) for an opener
// ending at `from`; delimiter runs are taken whole, so `**` inside `*…*` is skipped.
function closingDelim(s, from, delim) {
  const ch = delim[0], n = delim.length;
  let i = from;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') { i += 2; continue; }
    if (c === '`') {
      let j = i; while (s[j] === '`') j++;
      const close = closingTicks(s, j, j - i);
      i = close === -1 ? j : close + (j - i);
      continue;
    }
    if (c === ch) {
      let j = i; while (s[j] === ch) j++;
      const run = j - i;
      const canClose = i > from && !isSpace(s[i - 1]) && (ch === '*' || !isAlnum(s[j]));
      if (canClose && run === n) return i;
      if (canClose && run === 3) return n === 2 ? j - 2 : i; // `***`: strong and em close together
      i = j;
      continue;
    }
    i++;
  }
  return -1;
}

function parseLink(s, i) {
  // s[i] === '['; find the matching ']' (nesting, escapes, code spans).
  let depth = 0, j = i;
  for (; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') { j++; continue; }
    if (c === '`') {
      let k = j; while (s[k] === '`') k++;
      const close = closingTicks(s, k, k - j);
      if (close !== -1) j = close + (k - j) - 1;
      else j = k - 1;
      continue;
    }
    if (c === '[') depth++;
    else if (c === ']' && --depth === 0) break;
  }
  if (j >= s.length || s[j + 1] !== '(') return null;
  const text = s.slice(i + 1, j);
  let k = j + 2, paren = 0, dest = '';
  while (k < s.length && /[ \t\n]/.test(s[k])) k++;
  if (s[k] === '<') {
    const end = s.indexOf('>', k);
    if (end === -1) return null;
    dest = s.slice(k + 1, end);
    k = end + 1;
  } else {
    const start = k;
    for (; k < s.length; k++) {
      const c = s[k];
      if (c === '\\') { k++; continue; }
      if (/\s/.test(c)) break;
      if (c === '(') paren++;
      else if (c === ')') { if (paren === 0) break; paren--; }
    }
    dest = s.slice(start, k);
  }
  while (k < s.length && /[ \t\n]/.test(s[k])) k++;
  let title = null;
  if (s[k] === '"' || s[k] === "'") {
    const q = s[k], end = s.indexOf(q, k + 1);
    if (end === -1) return null;
    title = s.slice(k + 1, end);
    k = end + 1;
    while (k < s.length && /[ \t\n]/.test(s[k])) k++;
  }
  if (s[k] !== ')') return null;
  return { text, dest: dest.replace(/\\(.)/g, '$1'), title, end: k + 1 };
}

function link(href, title, kids) {
  const safe = safeHref(decodeEntities(href));
  if (!safe) return kids; // an unsafe destination keeps its text only
  const a = el('a', { href: safe, title: title == null ? null : decodeEntities(title) }, kids);
  if (/^https?:/i.test(safe)) a.setAttribute('rel', 'noopener noreferrer');
  else a.setAttribute('rel', 'noopener');
  return [a];
}

// Parses inline Markdown into an array of nodes and strings.
export function parseInline(s) {
  const out = [];
  let text = '';
  const flush = () => { if (text) { out.push(decodeEntities(text)); text = ''; } };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') {
      if (s[i + 1] === '\n') { flush(); out.push(el('br')); i += 2; continue; }
      if (PUNCT.test(s[i + 1] || '')) { text += s[i + 1] === '&' ? '&amp;' : s[i + 1]; i += 2; continue; }
      text += c; i++; continue;
    }
    if (c === '`') {
      let j = i; while (s[j] === '`') j++;
      const n = j - i, close = closingTicks(s, j, n);
      if (close === -1) { text += s.slice(i, j); i = j; continue; }
      let code = s.slice(j, close).replace(/\n/g, ' ');
      if (code.length > 2 && code[0] === ' ' && code[code.length - 1] === ' ' && code.trim()) code = code.slice(1, -1);
      flush(); out.push(el('code', null, [code])); i = close + n; continue;
    }
    if (c === '<') {
      const m = /^<(https?:\/\/[^\s<>]+)>/i.exec(s.slice(i));
      if (m) { flush(); out.push(...link(m[1], null, [m[1]])); i += m[0].length; continue; }
    }
    if (c === 'h' && (i === 0 || /[\s(]/.test(s[i - 1]))) {
      const m = /^https?:\/\/[^\s<>]*[^\s<>.,;:!?'")\]]/i.exec(s.slice(i));
      if (m) { flush(); out.push(...link(m[0], null, [m[0]])); i += m[0].length; continue; }
    }
    if (c === '[') {
      const l = parseLink(s, i);
      if (l) { flush(); out.push(...link(l.dest, l.title, parseInline(l.text))); i = l.end; continue; }
    }
    if (c === '*' || c === '_') {
      let j = i; while (s[j] === c) j++;
      const run = j - i;
      const canOpen = !isSpace(s[j]) && (c === '*' || !isAlnum(s[i - 1]));
      let done = false;
      if (canOpen) {
        for (const n of run >= 2 ? [2, 1] : [1]) {
          const close = closingDelim(s, i + n, c.repeat(n));
          if (close > i + n) {
            flush();
            out.push(el(n === 2 ? 'strong' : 'em', null, parseInline(s.slice(i + n, close))));
            i = close + n;
            done = true;
            break;
          }
        }
      }
      if (done) continue;
      text += s.slice(i, j); i = j; continue;
    }
    if (c === '\n') {
      const hard = text.endsWith('  ');
      text = text.replace(/ +$/, '');
      flush();
      out.push(hard ? el('br') : '\n');
      i++; while (s[i] === ' ') i++;
      continue;
    }
    text += c; i++;
  }
  flush();
  return out;
}

// ---------- blocks ----------

const RE = {
  blank: /^\s*$/,
  fence: /^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/,
  heading: /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/,
  hr: /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/,
  quote: /^ {0,3}> ?/,
  bullet: /^( {0,3})([-*+])([ \t]+|$)/,
  ordered: /^( {0,3})(\d{1,9})([.)])([ \t]+|$)/,
  tableDelim: /^ *\|? *:?-+:? *(\| *:?-+:? *)*\|? *$/,
};

function listMarker(line) {
  let m = RE.bullet.exec(line);
  if (m) return { ordered: false, ch: m[2], width: m[0].length || m[1].length + 2, start: 1 };
  m = RE.ordered.exec(line);
  if (m) return { ordered: true, ch: m[3], width: m[0].length, start: parseInt(m[2], 10) };
  return null;
}

function splitRow(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells = [];
  let cur = '', inCode = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '|') { cur += '|'; i++; continue; }
    if (c === '`') { let j = i; while (s[j] === '`') j++; const n = j - i; inCode = inCode === n ? 0 : inCode || n; cur += s.slice(i, j); i = j - 1; continue; }
    if (c === '|' && !inCode) { cells.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

// Does `line` start a block that interrupts a paragraph?
function interrupts(line) {
  if (RE.fence.test(line) || RE.hr.test(line) || RE.quote.test(line)) return true;
  const h = RE.heading.exec(line);
  if (h) return true;
  const m = listMarker(line);
  return !!(m && !RE.blank.test(line.slice(m.width)) && (!m.ordered || m.start === 1));
}

function parseBlocks(lines, opts) {
  const out = [];
  let i = 0;
  const hl = n => 'h' + Math.min(6, n + (opts.headingOffset || 0));
  while (i < lines.length) {
    const line = lines[i];
    if (RE.blank.test(line)) { i++; continue; }

    let m = RE.fence.exec(line);
    if (m) {
      const indent = m[1].length, fence = m[2], body = [];
      i++;
      while (i < lines.length && !new RegExp('^ {0,3}' + fence[0] + '{' + fence.length + ',}\\s*$').test(lines[i])) {
        body.push(lines[i].replace(new RegExp('^ {0,' + indent + '}'), ''));
        i++;
      }
      i++; // closing fence (or end)
      const code = el('code', m[3] ? { class: 'language-' + m[3].replace(/[^\w-]/g, '') } : null, [body.join('\n')]);
      out.push(el('pre', null, [code]));
      continue;
    }
    if (/^( {4}|\t)/.test(line)) {
      const body = [];
      while (i < lines.length && (/^( {4}|\t)/.test(lines[i]) || RE.blank.test(lines[i]))) { body.push(lines[i].replace(/^( {4}|\t)/, '')); i++; }
      while (body.length && RE.blank.test(body[body.length - 1])) body.pop();
      out.push(el('pre', null, [el('code', null, [body.join('\n')])]));
      continue;
    }
    m = RE.heading.exec(line);
    if (m) { out.push(el(hl(m[1].length), null, parseInline(m[2] || ''))); i++; continue; }
    if (RE.hr.test(line)) { out.push(el('hr')); i++; continue; }
    if (RE.quote.test(line)) {
      const body = [];
      while (i < lines.length && !RE.blank.test(lines[i])) {
        if (RE.quote.test(lines[i])) body.push(lines[i].replace(RE.quote, ''));
        else if (body.length && !interrupts(lines[i])) body.push(lines[i]); // lazy continuation
        else break;
        i++;
      }
      out.push(el('blockquote', null, parseBlocks(body, opts)));
      continue;
    }
    const lm = listMarker(line);
    if (lm) {
      const list = el(lm.ordered ? 'ol' : 'ul', lm.ordered && lm.start !== 1 ? { start: String(lm.start) } : null);
      let loose = false;
      const items = [];
      while (i < lines.length) {
        const mk = listMarker(lines[i]);
        if (!mk || mk.ordered !== lm.ordered || mk.ch !== lm.ch) break;
        const body = [lines[i].slice(mk.width)];
        i++;
        let sawBlank = false;
        while (i < lines.length) {
          const l = lines[i];
          if (RE.blank.test(l)) { sawBlank = true; body.push(''); i++; continue; }
          const indent = /^ */.exec(l)[0].length;
          if (indent >= mk.width) { body.push(l.slice(mk.width)); sawBlank = false; i++; continue; }
          if (!sawBlank && !interrupts(l) && !listMarker(l)) { body.push(l); i++; continue; } // lazy line
          break;
        }
        const next = i < lines.length ? listMarker(lines[i]) : null;
        const continues = !!next && next.ordered === lm.ordered && next.ch === lm.ch;
        while (body.length && body[body.length - 1] === '') { body.pop(); if (continues) loose = true; }
        if (body.includes('')) loose = true;
        items.push(body);
        if (sawBlank && !continues) break;
      }
      for (const body of items) {
        const kids = parseBlocks(body, opts);
        const li = el('li');
        for (const k of kids) {
          if (!loose && k.tagName === 'P') li.append(...k.childNodes);
          else li.append(k);
        }
        list.append(li);
      }
      out.push(list);
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && RE.tableDelim.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      const head = splitRow(line), delims = splitRow(lines[i + 1]);
      if (head.length === delims.length) {
        const align = delims.map(d => d.startsWith(':') && d.endsWith(':') ? 'center' : d.endsWith(':') ? 'right' : d.startsWith(':') ? 'left' : null);
        const cell = (tag, txt, k) => el(tag, align[k] ? { class: 'align-' + align[k] } : null, parseInline(txt || ''));
        const thead = el('thead', null, [el('tr', null, head.map((t, k) => cell('th', t, k)))]);
        const tbody = el('tbody');
        i += 2;
        while (i < lines.length && !RE.blank.test(lines[i]) && lines[i].includes('|') && !interrupts(lines[i])) {
          const row = splitRow(lines[i]);
          tbody.append(el('tr', null, head.map((_, k) => cell('td', row[k], k))));
          i++;
        }
        out.push(el('div', { class: 'md-table' }, [el('table', null, [thead, tbody])]));
        continue;
      }
    }
    // paragraph
    const para = [line.replace(/^\s+/, '')];
    i++;
    while (i < lines.length && !RE.blank.test(lines[i]) && !interrupts(lines[i])) { para.push(lines[i].replace(/^\s+/, '')); i++; }
    out.push(el('p', null, parseInline(para.join('\n').replace(/\s+$/, ''))));
  }
  return out;
}

// Renders Markdown `src` into a DocumentFragment. `headingOffset` shifts
// heading levels so a `#` in an operation's description does not become an h1.
export function renderMarkdown(src, opts = {}) {
  const frag = document.createDocumentFragment();
  if (src == null || src === '') return frag;
  const lines = String(src).replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  frag.append(...parseBlocks(lines, opts));
  return frag;
}

// Renders a one-line Markdown string (a summary) as inline nodes.
export function renderInline(src) {
  const frag = document.createDocumentFragment();
  frag.append(...parseInline(String(src ?? '')));
  return frag;
}

// A wrapper element holding rendered Markdown, for descriptions.
export function markdownBlock(src, opts = {}) {
  const div = el('div', { class: 'md' });
  div.append(renderMarkdown(src, opts));
  return div;
}
