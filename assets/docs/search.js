// Sidebar search: filters operations as you type (path, summary, description,
// tag, parameter names) with `/` to focus, arrows + Enter to pick, Esc to clear.

function haystack(o, tag) {
  const op = o.op;
  return [o.path, op.summary, op.description, tag, o.id, o.method,
    ...o.params.map(p => p.name)].filter(Boolean).join('\n').toLowerCase();
}

export function initSearch({ input, status, groups, toc, onPick }) {
  const entries = [];
  for (const g of groups) for (const o of g.ops) {
    entries.push({ o, g, text: haystack(o, g.tag.name), summary: (o.op.summary || '').toLowerCase(), path: o.path.toLowerCase() });
  }
  const schemaLinks = [...toc.querySelectorAll('a.schema-link')];
  const schemaDetails = toc.querySelector('.toc-schemas');
  let visible = [];
  let active = -1;

  function setActive(i) {
    if (active >= 0 && visible[active]) visible[active].classList.remove('kb-active');
    active = i;
    const a = visible[active];
    if (a) {
      a.classList.add('kb-active');
      a.scrollIntoView({ block: 'nearest' });
      input.setAttribute('aria-activedescendant', a.id || '');
      status.textContent = a.textContent.replace(/^(GET|POST|PUT|PATCH|DEL)/, '$1 ');
    } else input.removeAttribute('aria-activedescendant');
  }

  function filter() {
    const terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    const match = text => terms.every(t => text.includes(t));
    const phrase = terms.join(' ');
    let count = 0, best = null, bestScore = -1;
    for (const e of entries) {
      const show = !terms.length || match(e.text);
      e.o.li.hidden = !show;
      if (!show) continue;
      count++;
      // Enter picks the best match, not merely the first in the sidebar.
      const score = e.summary === phrase ? 5 : e.summary.startsWith(phrase) ? 4 : e.summary.includes(phrase) ? 3
        : e.path.includes(phrase) ? 2 : terms.every(t => e.summary.includes(t) || e.path.includes(t)) ? 1 : 0;
      if (score > bestScore) { best = e; bestScore = score; }
    }
    for (const g of groups) {
      const n = g.ops.filter(o => !o.li.hidden).length;
      g.li.hidden = n === 0;
      if (g.countEl) g.countEl.textContent = terms.length ? `${n} of ${g.ops.length}` : String(g.ops.length);
    }
    for (const sec of toc.querySelectorAll('.toc-section[data-section]')) {
      sec.hidden = groups.filter(g => g.section === sec.dataset.section).every(g => g.li.hidden);
    }
    let schemaCount = 0;
    for (const a of schemaLinks) {
      const show = !terms.length || match(a.textContent.toLowerCase());
      a.parentElement.hidden = !show;
      if (show) schemaCount++;
    }
    if (schemaDetails) {
      const refLi = schemaDetails.parentElement;
      refLi.hidden = terms.length > 0 && schemaCount === 0;
      if (refLi.previousElementSibling) refLi.previousElementSibling.hidden = refLi.hidden;
      if (terms.length && schemaCount && schemaCount <= 20) schemaDetails.open = true;
    }
    toc.querySelector('.intro-link').parentElement.hidden = terms.length > 0;
    let empty = toc.querySelector('.no-results');
    if (terms.length && !count && !schemaCount) {
      if (!empty) {
        empty = document.createElement('p');
        empty.className = 'no-results';
        toc.prepend(empty);
      }
      empty.textContent = `No operation matches “${input.value.trim()}”.`;
    } else if (empty) empty.remove();
    visible = [...toc.querySelectorAll('a.op-link, a.schema-link')].filter(a => !a.closest('[hidden]') && (a.classList.contains('op-link') || terms.length));
    active = -1;
    const bestIndex = best ? visible.indexOf(best.o.link) : -1;
    setActive(terms.length && visible.length ? Math.max(bestIndex, 0) : -1);
    status.textContent = terms.length ? `${count} operation${count === 1 ? '' : 's'} found` : '';
  }

  input.addEventListener('input', filter);
  input.addEventListener('keydown', e => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!visible.length) visible = [...toc.querySelectorAll('a.op-link')].filter(a => !a.closest('[hidden]'));
      const n = visible.length;
      if (!n) return;
      setActive(e.key === 'ArrowDown' ? (active + 1) % n : (active - 1 + n) % n);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const a = visible[active] || visible[0];
      if (a) onPick(a);
    } else if (e.key === 'Escape') {
      if (input.value) { e.preventDefault(); e.stopPropagation(); input.value = ''; filter(); }
      else input.blur();
    }
  });

  // Arrow keys also move between links once focus is in the sidebar.
  toc.addEventListener('keydown', e => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const links = [...toc.querySelectorAll('a.toc-link')].filter(a => !a.closest('[hidden]') && a.offsetParent !== null);
    const i = links.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    const next = links[e.key === 'ArrowDown' ? Math.min(i + 1, links.length - 1) : Math.max(i - 1, 0)];
    next.focus();
  });

  document.addEventListener('keydown', e => {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t.closest && t.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]')) return;
    e.preventDefault();
    if (!document.body.classList.contains('nav-open') && getComputedStyle(document.getElementById('sidebar')).display === 'none') {
      document.getElementById('nav-toggle').click();
    }
    input.focus();
    input.select();
  });
}
