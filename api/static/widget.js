/* Footnote widget: ask the story; the answer is its own sentences, cited. Docs: docs/widget.md
 * <script src="https://FOOTNOTE-HOST/widget.js" data-doc-id="..." async></script>
 * Text is only ever inserted as text; styles are constructable sheets in a shadow root. */
(() => {
  'use strict';
  const TAG = 'footnote-chat';
  const HL = 'footnote-cite';
  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const home = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  const FIRST_MS = 20000, IDLE_MS = 20000, TOTAL_MS = 90000, STARTERS_MS = 15000;
  const AGAIN = ' Please try again.';

  const STYLE = `
:host{all:initial!important;display:block!important}
[hidden]{display:none!important}
*{box-sizing:border-box}
.fn{--a:var(--footnote-accent,#0b4f8a);--at:var(--footnote-accent-text,#fff);--bg:var(--footnote-bg,#fff);--sf:var(--footnote-surface,#f4f1ea);
--tx:var(--footnote-text,#1b1b1b);--mu:var(--footnote-muted,#555);--bd:var(--footnote-border,#d5d0c4);--er:var(--footnote-error,#a4161a);
font:15px/1.5 var(--footnote-font,-apple-system,"Segoe UI",Roboto,Arial,system-ui,sans-serif);color:var(--tx);text-align:left}
.panel{display:flex;flex-direction:column;background:var(--bg);border:1px solid var(--bd);border-radius:var(--footnote-radius,10px);
max-width:var(--footnote-max-width,720px);margin:0 auto;overflow:hidden;box-shadow:0 1px 3px #0002}
.head{display:flex;align-items:flex-start;gap:8px;padding:14px 16px 12px;border-bottom:1px solid var(--bd);background:var(--sf)}
.head>div{flex:1}
h2{margin:0;font-size:17px;line-height:1.3}
.sub,.foot,.note,.sec,.wait{margin:0;font-size:13px;color:var(--mu)}
button,input{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.ghost{background:none;border:1px solid var(--bd);border-radius:99px;padding:4px 12px;font-size:13px;min-height:32px}
.close{width:36px;height:36px;padding:0;font-size:22px}
.ghost:hover,.chip:hover{border-color:var(--a);color:var(--a)}
.body{overflow-y:auto;overscroll-behavior:contain;padding:8px 16px 4px;max-height:var(--footnote-max-height,560px)}
.turn{padding:10px 0 12px}
.turn+.turn{border-top:1px solid var(--bd)}
.q{margin:0 0 8px;font-weight:700}
.q::before{content:"Q";display:inline-block;width:20px;margin-right:8px;border-radius:4px;font-size:12px;text-align:center}
.q::before,.ref,.n,.send,.launcher{background:var(--a);color:var(--at);border:0;font-weight:700}
.q,.text,.quote{overflow-wrap:anywhere}
.text{margin:0;font:17px/1.55 var(--footnote-answer-font,Georgia,"Times New Roman",serif)}
.abstain .text{font:inherit;border-left:3px solid var(--bd);padding-left:10px}
mark{background:var(--footnote-mark,#ffe28a);color:#1b1b1b;padding:0 2px;border-radius:2px;box-shadow:inset 0 -2px #0004}
.ref{border-radius:4px;font:700 11px/1 Arial,sans-serif;padding:3px 5px;margin-left:3px;vertical-align:3px}
.cites,.starters ul{list-style:none;margin:8px 0 0;padding:0;display:grid;gap:6px}
.lbl{margin:12px 0 0;font-size:12px;font-weight:700;letter-spacing:.05em;text-transform:uppercase;color:var(--mu)}
.cite{display:flex;gap:8px;align-items:flex-start;background:var(--sf);border-radius:8px;padding:8px}
.go{flex:1;min-width:0;display:flex;gap:8px;border:0;background:none;padding:0;text-align:left;font-size:14px;line-height:1.45}
.go:hover .quote{text-decoration:underline}
.n{flex:none;width:22px;height:22px;border-radius:50%;font-size:12px;line-height:22px;text-align:center}
.quote{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.open .quote,.sec,.note{display:block}
.share{flex:none;font-size:13px;color:var(--a);padding:2px 4px}
.err{margin:0;padding:10px 12px;border:1px solid var(--er);border-radius:8px;color:var(--er);display:flex;flex-wrap:wrap;gap:8px;align-items:center}
.err span{flex:1 1 200px}
.wait::after{content:"";display:inline-block;width:12px;height:12px;margin-left:8px;border:2px solid var(--bd);border-top-color:var(--a);border-radius:50%;animation:s .8s linear infinite}
.streaming .text::after{content:"▍";color:var(--a);animation:b 1s steps(2) infinite}
@keyframes s{to{transform:rotate(1turn)}}@keyframes b{50%{opacity:0}}
@media (prefers-reduced-motion:reduce){*{animation:none!important}}
.starters{padding:4px 0 10px}
.chip{width:100%;text-align:left;border:1px solid var(--bd);background:var(--bg);border-radius:8px;padding:8px 12px;min-height:40px}
form{display:flex;gap:8px;padding:12px 16px;border-top:1px solid var(--bd)}
input{flex:1;min-width:0;font-size:16px;padding:10px 12px;border:1px solid #858074;border-radius:8px;background:var(--bg);color:var(--tx)}
input::placeholder{color:#6b675e}
.send{border-radius:8px;font-size:16px;padding:0 18px;min-height:44px}
.send:disabled{opacity:.75}
.foot{padding:0 16px 10px;font-size:12px}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.floating .launcher,.floating .panel{position:fixed;right:20px;bottom:20px;z-index:var(--fn-z,2147483000)}
.launcher{display:flex;gap:8px;border-radius:99px;padding:12px 20px;font-size:16px;box-shadow:0 4px 16px #0004}
.floating .panel{bottom:84px;width:var(--footnote-panel-width,400px);max-width:calc(100vw - 16px);max-height:calc(100vh - 104px);box-shadow:0 12px 40px #0005}
.floating .body{flex:1;max-height:none}
@media (max-width:480px){.floating .panel{inset:8px;width:auto;max-height:none}.floating .launcher{right:12px;bottom:12px}
.head,.body,form{padding-left:12px;padding-right:12px}}
`;
  const PAGE_CSS = `::highlight(${HL}){background-color:var(--footnote-mark,#ffe28a);color:#1b1b1b}
mark.${HL}{background:var(--footnote-mark,#ffe28a);color:#1b1b1b}`;
  const sheet = (css) => { try { const s = new CSSStyleSheet(); s.replaceSync(css); return s; } catch { return null; } };
  const base = sheet(STYLE);
  let pageSheet = null;

  /** An element: `props` is a class name or {attr: value, class, on: {event: fn}}; kids are
   * nodes or strings (strings become text nodes, never HTML). Buttons default to type=button. */
  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (tag === 'button') e.type = 'button';
    if (typeof props === 'string') props = { class: props };
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'on') for (const [t, f] of Object.entries(v)) e.addEventListener(t, f);
      else if (k === 'class') e.className = v;
      else if (v != null && v !== false) e.setAttribute(k, v === true ? '' : v);
    }
    e.append(...kids.filter((k) => k != null));
    return e;
  }

  /** `text` with the span [a, b) (the very thing asked for) in a <mark>. */
  function marked(text, span) {
    const f = document.createDocumentFragment();
    if (Array.isArray(span) && span[1] > span[0]) f.append(text.slice(0, span[0]), el('mark', null, text.slice(...span)), text.slice(span[1]));
    else f.append(text);
    return f;
  }

  const httpUrl = (u) => { try { const x = new URL(u, location.href); return /^https?:$/.test(x.protocol) ? x : null; } catch { return null; } };

  // A cited sentence that opens or closes with its own quotation mark ("“Our companies …,”
  // Lee warned.") is shown as it is: wrapping it in ours as well would double the marks.
  const QUOTED = /^["'“”‘’„‚«»‹›]|["'“”‘’„‚«»‹›]$/;
  const quotation = (text, shown) => (QUOTED.test(text) ? [shown] : ['“', shown, '”']);

  /** A link that opens `page` at `sentence`: `#:~:text=start,end` (words percent-encoded). */
  function fragmentLink(page, sentence) {
    const enc = (w) => encodeURIComponent(w.join(' ')).replace(/[-,&]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    const w = sentence.trim().split(/\s+/);
    return page.origin + page.pathname + page.search + '#:~:text=' + (w.length <= 8 ? enc(w) : enc(w.slice(0, 4)) + ',' + enc(w.slice(-4)));
  }

  // -- finding a sentence in the host page ---------------------------------------------
  // Text nodes are folded (no whitespace, one quote style, lower case) into one string with a
  // map back to (node, offset), so markup or line breaks between words don't matter.
  const FOLD = { '‘': "'", '’': "'", '“': '"', '”': '"', '„': '"', '–': '-', '—': '-', '‑': '-', '…': '...' };
  const fold = (ch) => (/[\s\u00ad\u200b-\u200d\ufeff]/.test(ch) ? '' : (FOLD[ch] || ch).toLowerCase());

  function findRange(root, sentence) {
    const skip = 'script,style,noscript,template,textarea,' + TAG;
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, { acceptNode: (n) => (n.parentElement.closest(skip) ? 2 : 1) });
    let hay = '';
    const map = [];
    for (let n; (n = walk.nextNode());) {
      for (let i = 0; i < n.data.length; i++) {
        const f = fold(n.data[i]);
        for (let j = 0; j < f.length; j++) map.push(n, i);
        hay += f;
      }
    }
    const needle = Array.from(sentence, fold).join('');
    for (let at = needle ? hay.indexOf(needle) : -1; at >= 0; at = hay.indexOf(needle, at + 1)) {
      const end = 2 * (at + needle.length - 1);
      const range = document.createRange();
      range.setStart(map[2 * at], map[2 * at + 1]);
      range.setEnd(map[end], map[end + 1] + 1);
      const r = range.getBoundingClientRect();
      if (r.width || r.height) return range; // the first copy a reader can see
    }
    return null;
  }

  function unmark() {
    if (window.CSS && CSS.highlights) CSS.highlights.delete(HL);
    for (const m of document.querySelectorAll('mark.' + HL)) { const p = m.parentNode; m.replaceWith(...m.childNodes); p.normalize(); }
  }

  /** Highlight `range`: the CSS Custom Highlight API, else a <mark> around each text piece. */
  function highlight(range) {
    if (!pageSheet && (pageSheet = sheet(PAGE_CSS))) document.adoptedStyleSheets = [...document.adoptedStyleSheets, pageSheet];
    unmark();
    if (window.CSS && CSS.highlights && window.Highlight) return CSS.highlights.set(HL, new Highlight(range));
    const { startContainer: s, startOffset: so, endContainer: e, endOffset: eo } = range;
    const nodes = [];
    const walk = document.createTreeWalker(range.commonAncestorContainer, NodeFilter.SHOW_TEXT);
    for (let n = walk.currentNode; n; n = walk.nextNode()) if (n.nodeType === 3 && range.intersectsNode(n)) nodes.push(n);
    for (let n of nodes) {
      if (n === e && eo < n.length) n.splitText(eo);
      if (n === s && so > 0) n = n.splitText(so);
      if (n.data.trim()) { const m = el('mark', HL); n.replaceWith(m); m.append(n); }
    }
  }

  // -- server-sent events over fetch (EventSource cannot POST) --------------------------
  async function* events(body, onChunk) {
    const reader = body.getReader();
    const dec = new TextDecoder();
    let buf = '', type = 'message', data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onChunk();
      const lines = (buf + dec.decode(value, { stream: true })).split(/\r\n|\r|\n/);
      buf = lines.pop();
      for (const line of lines) {
        if (!line) {
          if (data.length) yield { type, data: JSON.parse(data.join('\n')) };
          type = 'message';
          data = [];
        } else if (line[0] !== ':') {
          const [, field, val] = /^([^:]*):? ?(.*)$/.exec(line);
          if (field === 'event') type = val;
          else if (field === 'data') data.push(val);
        }
      }
    }
  }

  /** An error a reader is shown; `retry` says whether asking again may help. */
  class Problem extends Error {
    constructor(message, retry = true) { super(message); this.retry = retry; }
  }

  async function problemFrom(res) {
    let msg = '';
    try { msg = (await res.json()).error.message; } catch { /* not our JSON */ }
    if (res.status === 429) {
      const s = parseInt(res.headers.get('Retry-After'), 10);
      return new Problem(`Too many questions at once. Please wait ${s > 0 ? s + ' seconds' : 'a moment'} and try again.`);
    }
    if (res.status < 500) return new Problem(msg || 'That question could not be asked.', false);
    return new Problem('The answer service had a problem.' + AGAIN);
  }

  class FootnoteChat extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      const a = (n, d) => this.getAttribute(n) || d;
      const service = httpUrl(a('service', home));
      this.api = service && service.href.replace(/\/?$/, '/');
      this.docId = a('doc-id', null);
      this.rev = a('revision', void 0);
      this.floating = a('mode') === 'floating';
      this.conv = null;
      this.asked = [];
      const root = this.attachShadow({ mode: 'open' });
      const z = parseInt(a('z-index'), 10);
      const sheets = [base, Number.isFinite(z) ? sheet(`:host{--fn-z:${z}}`) : null].filter(Boolean);
      if (base && 'adoptedStyleSheets' in root) root.adoptedStyleSheets = sheets;
      else root.append(el('style', null, STYLE)); // browsers without constructable sheets
      const title = a('heading', 'Ask this story');
      this.input = el('input', { id: 'q', name: 'question', autocomplete: 'off', enterkeyhint: 'send', maxlength: 500,
        placeholder: 'Ask about this story' });
      this.send = el('button', { class: 'send', type: 'submit' }, 'Ask');
      this.log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Answers' });
      this.pending = el('div');
      this.starters = el('div', { class: 'starters', hidden: true });
      this.status = el('p', { class: 'vh', role: 'status' });
      this.reset = el('button', { class: 'ghost', hidden: true, on: { click: () => this.clear() } }, 'New conversation');
      const head = el('div', 'head', el('div', null, el('h2', { id: 'title' }, title),
        el('p', 'sub', 'Answers quote the story itself, with citations.')), this.reset);
      this.body = el('div', 'body', this.log, this.pending, this.starters);
      const form = el('form', { on: { submit: (e) => { e.preventDefault(); this.ask(this.input.value); } } },
        el('label', { for: 'q', class: 'vh' }, 'Your question about the story'), this.input, this.send);
      this.panel = el('section', { class: 'panel', id: 'panel', 'aria-labelledby': 'title' }, head, this.body, form,
        el('p', 'foot', 'Footnote answers only from this article, and says so when it can’t.'), this.status);
      const wrap = el('div', 'fn ' + (this.floating ? 'floating' : 'inline'));
      if (this.floating) {
        this.launcher = el('button', { class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'panel',
          on: { click: () => this.toggle() } }, title);
        this.panel.hidden = true;
        this.panel.setAttribute('role', 'dialog');
        head.append(el('button', { class: 'ghost close', 'aria-label': 'Close', on: { click: () => this.toggle(false) } }, '×'));
        this.panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); this.toggle(false); } });
        wrap.append(this.launcher);
      }
      wrap.append(this.panel);
      root.append(wrap);
      if (!this.api) this.fail(new Problem('The widget’s service address must be an http(s) URL.', false));
      else if (!this.floating) this.loadStarters();
    }

    toggle(open = this.panel.hidden) {
      if (!this.floating) return;
      this.panel.hidden = !open;
      this.launcher.setAttribute('aria-expanded', open);
      this.launcher.hidden = open && matchMedia('(max-width:480px)').matches; // the panel fills a phone
      if (open) { this.loadStarters(); this.input.focus(); } else { this.launcher.hidden = false; this.launcher.focus(); }
    }

    /** Three questions the article answers, shown while the conversation is empty. */
    async loadStarters() {
      if (this.startersAsked || !this.docId || !this.api) return;
      this.startersAsked = true;
      const ctl = new AbortController();
      const t = setTimeout(() => ctl.abort(), STARTERS_MS);
      try {
        const res = await fetch(new URL(`documents/${encodeURIComponent(this.docId)}/starters`, this.api), { credentials: 'omit', signal: ctl.signal });
        const qs = res.ok ? ((await res.json()).questions || []).filter((q) => typeof q === 'string').slice(0, 3) : [];
        if (!qs.length) return;
        this.starters.replaceChildren(el('p', 'lbl', 'Try asking'),
          el('ul', null, ...qs.map((q) => el('li', null, el('button', { class: 'chip', on: { click: () => { this.input.focus(); this.ask(q); } } }, q)))));
        this.starters.hidden = this.log.childElementCount > 0 || this.busy;
      } catch { /* starters are optional: the input still works */ } finally { clearTimeout(t); }
    }

    clear() {
      this.conv = null;
      this.asked = [];
      this.log.replaceChildren();
      this.reset.hidden = true;
      this.starters.hidden = !this.starters.childElementCount;
      this.say('Conversation cleared.');
      this.input.focus();
    }

    say(text) { this.status.textContent = ''; setTimeout(() => { this.status.textContent = text; }, 50); }

    async ask(raw, turn) {
      const question = String(raw || '').trim();
      if (!question || this.busy || !this.api) return;
      this.busy = this.send.disabled = true;
      this.send.textContent = 'Asking…';
      this.input.value = '';
      this.starters.hidden = true;
      turn = turn || el('article', 'turn', el('p', 'q', el('span', 'vh', 'You asked: '), question));
      const answer = el('div', 'a', el('p', 'wait', 'Reading the story…'));
      turn.append(answer);
      this.pending.replaceChildren(turn); // streamed here; moved into the live log when finished
      this.body.scrollTop = this.body.scrollHeight;
      const ctl = new AbortController();
      let timer = setTimeout(() => ctl.abort(), FIRST_MS);
      const total = setTimeout(() => ctl.abort(), TOTAL_MS);
      const alive = () => { clearTimeout(timer); timer = setTimeout(() => ctl.abort(), IDLE_MS); };
      try {
        const post = (extra) => fetch(new URL('chat/stream', this.api), {
          method: 'POST', credentials: 'omit', cache: 'no-store', signal: ctl.signal,
          headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
          body: JSON.stringify({ question, conversation_id: this.conv, doc_id: this.docId, revision: this.rev, ...extra }),
        }).catch((e) => { throw ctl.signal.aborted ? e : new Problem('Can’t reach the answer service. Check your connection and try again.'); });
        let res = await post();
        if (res.status === 404 && this.conv && /unknown_conversation/.test(await res.clone().text())) {
          this.conv = null; // the service forgot it: replay the questions so far instead
          res = await post({ history: this.asked.slice(-10) });
        }
        if (!res.ok) throw await problemFrom(res);
        let text = null, done = null;
        for await (const { type, data } of events(res.body, alive)) {
          if (type === 'citations') {
            this.conv = data.conversation_id || this.conv;
            answer.className = 'a streaming';
            answer.replaceChildren((text = el('p', 'text')));
          } else if (type === 'delta' && text) {
            text.append(String(data.text || ''));
            const b = this.body;
            if (b.scrollHeight - b.scrollTop - b.clientHeight < 80) b.scrollTop = b.scrollHeight;
          } else if (type === 'done') done = data;
          else if (type === 'error') throw new Problem((data.error || {}).message || 'The answer service had a problem.' + AGAIN);
        }
        if (!done) throw new Problem('The answer was cut off.' + AGAIN);
        this.conv = done.conversation_id || this.conv;
        this.asked.push(question);
        this.render(answer, done);
        this.log.append(turn);
      } catch (e) {
        this.fail(e instanceof Problem ? e : new Problem(ctl.signal.aborted ? 'The answer is taking too long.' + AGAIN
          : 'Something went wrong while answering.' + AGAIN), question, turn, answer);
      } finally {
        clearTimeout(timer);
        clearTimeout(total);
        this.busy = this.send.disabled = false;
        this.send.textContent = 'Ask';
        this.reset.hidden = !this.log.childElementCount;
      }
    }

    /** Show a problem where the answer would be, with a retry when asking again may help. */
    fail(problem, question, turn, answer) {
      const box = el('p', { class: 'err', role: 'alert' }, el('span', null, problem.message));
      if (question && problem.retry) {
        box.append(el('button', { class: 'ghost', on: { click: () => { if (this.busy) return; answer.remove(); this.input.focus(); this.ask(question, turn); } } }, 'Try again'));
      }
      if (!answer) return this.log.append(box);
      answer.className = 'a';
      answer.replaceChildren(box);
      this.log.append(turn);
    }

    render(box, data) {
      const cites = Array.isArray(data.citations) ? data.citations : [];
      const answered = data.answered === true;
      const list = el('ol', { class: 'cites', 'aria-label': answered ? 'Citations' : 'Closest passages' });
      const show = (c) => el('button', { class: 'ref', 'aria-label': `Citation ${c.id}: show it in the story`, on: { click: () => this.reveal(c, list) } }, String(c.id));
      const text = el('p', 'text');
      // "sentence [1] sentence [2]": mark the asked-for span within each cited sentence.
      const parts = String(data.answer || '').split(/\s?\[(\d+)\]/);
      for (let i = 0; i < parts.length; i += 2) {
        const c = cites.find((x) => x.id === Number(parts[i + 1]));
        const thing = c && answered && Array.isArray(c.highlight) ? String(c.text).slice(...c.highlight) : '';
        const at = thing ? parts[i].indexOf(thing) : -1;
        text.append(marked(parts[i], at >= 0 && [at, at + thing.length]), c ? show(c) : '');
      }
      const page = httpUrl(this.getAttribute('article-url') || location.href);
      for (const c of cites) {
        const li = el('li', { class: 'cite', 'data-id': c.id },
          el('button', { class: 'go', on: { click: () => this.reveal(c, list) } }, el('span', { class: 'n', 'aria-hidden': 'true' }, String(c.id)),
            el('span', null, el('span', 'vh', `Citation ${c.id}, show in the story: `), c.section ? el('span', 'sec', String(c.section)) : null,
              el('span', 'quote', ...quotation(String(c.text), marked(String(c.text), answered && c.highlight))))));
        if (page) li.append(el('a', { class: 'share', href: fragmentLink(page, String(c.text)), target: '_blank', rel: 'noopener noreferrer',
          'aria-label': `Link to sentence ${c.id} (opens in a new tab)` }, 'Link'));
        list.append(li);
      }
      box.className = answered ? 'a' : 'a abstain';
      box.replaceChildren(text);
      if (data.notice) box.append(el('p', 'lbl', String(data.notice)));
      if (cites.length) box.append(el('p', 'lbl', answered ? 'Sources in this story' : 'Closest passages, not an answer'), list);
    }

    /** Scroll the page to the cited sentence and highlight it; if it isn't there, show it here. */
    reveal(c, list) {
      const sel = this.getAttribute('article');
      const range = findRange((sel && document.querySelector(sel)) || document.body, String(c.text));
      if (!range) {
        const li = list.querySelector(`[data-id="${Number(c.id)}"]`);
        if (li && !li.classList.contains('open')) {
          li.classList.add('open');
          li.querySelector('.go>span:last-child').append(el('span', 'note', 'This sentence isn’t on this page; here it is in full.'));
        }
        return this.say(`Citation ${c.id} isn’t on this page; it is shown in full in the widget.`);
      }
      highlight(range);
      if (this.floating && matchMedia('(max-width:480px)').matches) this.toggle(false); // the panel covers a phone
      let node = range.startContainer;
      if (node.nodeType !== 1) node = node.parentElement;
      const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches;
      node.scrollIntoView({ block: 'center', behavior: smooth ? 'smooth' : 'auto' });
      this.say(`Citation ${c.id} is highlighted in the story.`);
    }
  }

  if (!customElements.get(TAG)) customElements.define(TAG, FootnoteChat);

  // The script tag mounts one widget for itself, unless data-mount="none" (then use <footnote-chat>).
  const d = script ? script.dataset : {};
  if (!script || d.mount === 'none' || d.footnoteMounted) return;
  d.footnoteMounted = '1';
  const widget = document.createElement(TAG);
  for (const k of ['service', 'docId', 'revision', 'title', 'mode', 'zIndex', 'article', 'articleUrl']) {
    // data-title becomes `heading`: a `title` attribute would be a tooltip over the whole widget.
    if (d[k]) widget.setAttribute(k === 'title' ? 'heading' : k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()), d[k]);
  }
  const place = () => {
    const target = d.target && document.querySelector(d.target);
    if (target) target.append(widget);
    else if (d.mode === 'floating' || !script.parentNode || script.parentNode === document.head) document.body.append(widget);
    else script.after(widget);
  };
  if (document.body) place();
  else document.addEventListener('DOMContentLoaded', place, { once: true });
})();
