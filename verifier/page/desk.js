// The desk page: ask the wallet for a regulation's claims, wait for the answer, show the
// decision with its legal explanation. Plain DOM, no framework, no external assets; the page's
// Content-Security-Policy allows this file and the stylesheet only, so there are no inline
// scripts, styles or event handlers, and server data is only ever set as text, never as HTML.
//
// The desk API key is typed once and kept in sessionStorage (this tab, until it closes). The
// transaction being waited for is kept there too, so the same-device flow can resume: the
// wallet sends the citizen back to this page with #response_code=..., which must accompany
// the result fetch (OpenID4VP 1.0 §8.2, §13.3).
'use strict';

(() => {
  const STORE = {
    key: 'aanspraak.desk.key',
    transaction: 'aanspraak.desk.transaction',
    language: 'aanspraak.desk.language',
  };
  const POLL_MS = 1500;
  const FINAL = new Set([
    'expired', 'rejected', 'declined', 'eligible', 'not_eligible', 'unknown', 'refer_hardship', 'undetermined',
  ]);

  const TEXT = {
    nl: {
      title: 'Loket: recht op een regeling controleren',
      skip: 'Naar de inhoud',
      intro: 'Vraag de burger om gegevens uit de wallet. Het loket bewaart het besluit, niet de gegevens.',
      'language.switch': 'Nederlands',
      'key.heading': 'API-sleutel',
      'key.label': 'API-sleutel van het loket',
      'key.hint': 'De sleutel blijft alleen in dit tabblad bewaard, tot u het sluit.',
      'key.save': 'Sleutel gebruiken',
      'key.forget': 'Sleutel vergeten',
      'start.heading': 'Nieuwe aanvraag',
      'start.regulation': 'Regeling',
      'start.device': 'Waar staat de wallet van de burger?',
      'start.other': 'Op een ander apparaat (QR-code scannen)',
      'start.same': 'Op dit apparaat (link openen)',
      'start.submit': 'Aanvraag starten',
      'request.heading': 'Vraag aan de wallet',
      'request.scan': 'Laat de burger deze QR-code scannen met de wallet. Staat de wallet op dit apparaat, gebruik dan de link.',
      'request.link': 'Aanvraag openen in de wallet op dit apparaat',
      'request.cancel': 'Stoppen',
      'request.for': 'Regeling: {name}',
      'qr.alt': 'QR-code met de aanvraag voor de wallet. De link onder de code bevat dezelfde aanvraag.',
      'result.again': 'Nieuwe aanvraag',
      'status.key': 'Vul de API-sleutel van het loket in.',
      'status.loading': 'Regelingen laden…',
      'status.key_rejected': 'Deze API-sleutel wordt niet geaccepteerd. Vul een andere sleutel in.',
      'status.ready': 'Kies een regeling en start de aanvraag.',
      'status.none': 'Deze sleutel mag geen enkele regeling aanvragen.',
      'status.starting': 'Aanvraag starten…',
      'status.waiting': 'Wachten op het antwoord van de wallet…',
      'status.away': 'De wallet heeft geantwoord. Wachten tot de wallet u terugstuurt naar deze pagina…',
      'status.resuming': 'Terug uit de wallet: het besluit ophalen…',
      'status.no_return': 'In dit tabblad loopt geen aanvraag. Start een nieuwe aanvraag.',
      'status.decided': 'Besluit ontvangen: {outcome}',
      'status.rejected': 'Het antwoord van de wallet is geweigerd.',
      'status.declined': 'De burger heeft niets gedeeld.',
      'status.expired': 'De aanvraag is verlopen. Start een nieuwe aanvraag.',
      'status.undetermined': 'Kan niet controleren: probeer het opnieuw.',
      'status.not_found': 'Deze aanvraag bestaat niet (meer). Start een nieuwe aanvraag.',
      'status.forbidden': 'Het besluit wordt niet vrijgegeven: de terugkeercode van de wallet klopt niet.',
      'status.network': 'Geen verbinding met de server. Opnieuw proberen…',
      'status.error': 'Er ging iets mis (HTTP {code}).',
      'outcome.eligible': 'Recht',
      'outcome.not_eligible': 'Geen recht',
      'outcome.unknown': 'Niet vast te stellen: gegevens ontbreken',
      'outcome.refer_hardship': 'Een medewerker beslist (maatwerk)',
      'outcome.undetermined': 'Kan niet controleren: probeer het opnieuw',
      'outcome.rejected': 'Antwoord geweigerd',
      'outcome.declined': 'Niets gedeeld',
      'outcome.expired': 'Aanvraag verlopen',
      'result.decision': 'Besluit: {name}',
      'result.request': 'Aanvraag: {name}',
      'result.amount': 'Bedrag',
      'result.estimated': '(schatting, op basis van eigen opgave)',
      'result.hardship': 'De regel geeft geen recht, maar de hardheidsclausule kan van toepassing zijn. Een medewerker van het loket beslist over maatwerk.',
      'result.hardship_basis': 'Grondslag voor maatwerk:',
      'result.rejected': 'Het loket heeft het antwoord van de wallet niet geaccepteerd. Er is niets besloten. Start een nieuwe aanvraag.',
      'result.declined': 'De burger heeft de vraag afgewezen, of de wallet kon niet antwoorden. Er is niets besloten. Start een nieuwe aanvraag als de burger dat wil.',
      'result.reason': 'Reden:',
      'result.expired': 'De wallet heeft niet op tijd geantwoord. Er is niets besloten.',
      'result.undetermined': 'Kan niet controleren: probeer het opnieuw.',
      'result.basis': 'Wet:',
      'result.trace': 'Hoe is besloten',
      'result.inputs': 'Waar de gegevens vandaan komen',
      'result.inputs_caption': 'Per gegeven de bron, nooit de waarde',
      'result.input': 'Gegeven',
      'result.issuer': 'Bron',
      'result.type': 'Soort gegevens',
      'result.objection': 'Bezwaar',
      'result.follow_ups': 'Maatwerk',
      'result.decision_id': 'Besluitnummer:',
      'result.new_tab': '(opent in een nieuw tabblad)',
      'step.true': 'voldaan',
      'step.false': 'niet voldaan',
      'step.unknown': 'onbekend',
      'source.desk': 'het loket',
      'source.self_declared': 'eigen opgave van de burger',
      'source.none': '—',
    },
    en: {
      title: 'Desk: check entitlement to a regulation',
      skip: 'Skip to content',
      intro: "Ask the citizen for data from their wallet. The desk keeps the decision, not the data.",
      'language.switch': 'English',
      'key.heading': 'API key',
      'key.label': "The desk's API key",
      'key.hint': 'The key is kept in this tab only, until you close it.',
      'key.save': 'Use key',
      'key.forget': 'Forget key',
      'start.heading': 'New request',
      'start.regulation': 'Regulation',
      'start.device': "Where is the citizen's wallet?",
      'start.other': 'On another device (scan the QR code)',
      'start.same': 'On this device (open the link)',
      'start.submit': 'Start request',
      'request.heading': 'Request to the wallet',
      'request.scan': 'Let the citizen scan this QR code with their wallet. If the wallet is on this device, use the link.',
      'request.link': 'Open the request in the wallet on this device',
      'request.cancel': 'Stop',
      'request.for': 'Regulation: {name}',
      'qr.alt': 'QR code holding the request for the wallet. The link below the code holds the same request.',
      'result.again': 'New request',
      'status.key': "Enter the desk's API key.",
      'status.loading': 'Loading regulations…',
      'status.key_rejected': 'This API key is not accepted. Enter another key.',
      'status.ready': 'Choose a regulation and start the request.',
      'status.none': 'This key may not request any regulation.',
      'status.starting': 'Starting the request…',
      'status.waiting': "Waiting for the wallet's answer…",
      'status.away': 'The wallet has answered. Waiting for the wallet to send you back to this page…',
      'status.resuming': 'Back from the wallet: fetching the decision…',
      'status.no_return': 'No request is running in this tab. Start a new request.',
      'status.decided': 'Decision received: {outcome}',
      'status.rejected': "The wallet's answer was refused.",
      'status.declined': 'The citizen shared nothing.',
      'status.expired': 'The request has expired. Start a new request.',
      'status.undetermined': 'Cannot verify: try again.',
      'status.not_found': 'This request does not exist (any more). Start a new request.',
      'status.forbidden': "The decision is not released: the wallet's return code does not match.",
      'status.network': 'No connection to the server. Retrying…',
      'status.error': 'Something went wrong (HTTP {code}).',
      'outcome.eligible': 'Entitled',
      'outcome.not_eligible': 'Not entitled',
      'outcome.unknown': 'Cannot be determined: data missing',
      'outcome.refer_hardship': 'An officer will decide (maatwerk)',
      'outcome.undetermined': 'Cannot verify: try again',
      'outcome.rejected': 'Answer refused',
      'outcome.declined': 'Nothing shared',
      'outcome.expired': 'Request expired',
      'result.decision': 'Decision: {name}',
      'result.request': 'Request: {name}',
      'result.amount': 'Amount',
      'result.estimated': "(estimate, from the citizen's own statement)",
      'result.hardship': 'The rule gives no entitlement, but the hardship clause may apply. An officer of the desk will decide on a tailored solution (maatwerk).',
      'result.hardship_basis': 'Legal basis for maatwerk:',
      'result.rejected': "The desk did not accept the wallet's answer. Nothing was decided. Start a new request.",
      'result.declined': 'The citizen declined, or the wallet could not answer. Nothing was decided. Start a new request if the citizen wants to.',
      'result.reason': 'Reason:',
      'result.expired': 'The wallet did not answer in time. Nothing was decided.',
      'result.undetermined': 'Cannot verify: try again.',
      'result.basis': 'Law:',
      'result.trace': 'How this was decided',
      'result.inputs': 'Where the data came from',
      'result.inputs_caption': 'The source of each input, never its value',
      'result.input': 'Input',
      'result.issuer': 'Source',
      'result.type': 'Type of data',
      'result.objection': 'Objection',
      'result.follow_ups': 'Maatwerk',
      'result.decision_id': 'Decision number:',
      'result.new_tab': '(opens in a new tab)',
      'step.true': 'met',
      'step.false': 'not met',
      'step.unknown': 'unknown',
      'source.desk': 'the desk',
      'source.self_declared': "the citizen's own statement",
      'source.none': '—',
    },
  };

  const $ = (id) => document.getElementById(id);
  const state = {
    language: 'nl',
    regulations: [],
    transaction: null, // {id, link, qr_svg, name, same_device}
    responseCode: null,
    result: null,
    returned: null, // a response_code that came back before the key was entered
    status: null, // {key, params}
    timer: null,
    polling: 0,
  };

  // ---- small helpers -------------------------------------------------------------------

  function t(key, params) {
    const text = TEXT[state.language][key] ?? TEXT.nl[key] ?? key;
    // A parameter may be a function, so a status re-rendered in another language
    // translates its parts too.
    return text.replace(/\{(\w+)\}/g, (_, name) => {
      const value = params?.[name];
      return String((typeof value === 'function' ? value() : value) ?? '');
    });
  }

  function el(tag, options = {}, ...children) {
    const node = document.createElement(tag);
    if (options.className) node.className = options.className;
    if (options.lang) node.lang = options.lang;
    if (options.text !== undefined) node.textContent = options.text;
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function localName(name) {
    if (name && typeof name === 'object') return name[state.language] ?? name.nl ?? '';
    return typeof name === 'string' ? name : '';
  }

  function euros(cents) {
    const locale = state.language === 'nl' ? 'nl-NL' : 'en-GB';
    return new Intl.NumberFormat(locale, { style: 'currency', currency: 'EUR' }).format(cents / 100);
  }

  function safeHttpUrl(url) {
    return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
  }

  function legalLink(basis) {
    if (!basis || typeof basis !== 'object') return null;
    const label = `${basis.title ?? ''}, art. ${basis.article ?? ''}`;
    const href = safeHttpUrl(basis.url);
    if (!href) return el('span', { text: label });
    const link = el('a', { text: label });
    link.href = href;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.append(' ', el('span', { className: 'visually-hidden', text: t('result.new_tab') }));
    return link;
  }

  function svgDataUri(svg) {
    const bytes = new TextEncoder().encode(svg);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return `data:image/svg+xml;base64,${btoa(binary)}`;
  }

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  function focus(id) {
    $(id).focus();
  }

  function setStatus(key, params) {
    state.status = key ? { key, params } : null;
    const text = key ? t(key, params) : '';
    if ($('status').textContent !== text) $('status').textContent = text;
  }

  function store(key, value) {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, typeof value === 'string' ? value : JSON.stringify(value));
    } catch {
      // Storage may be disabled; the page then works for this page view only.
    }
  }

  function load(key) {
    try {
      return sessionStorage.getItem(key);
    } catch {
      return null;
    }
  }

  function savedTransaction() {
    try {
      const saved = JSON.parse(load(STORE.transaction) ?? 'null');
      return saved && typeof saved.id === 'string' ? saved : null;
    } catch {
      return null;
    }
  }

  // ---- the desk API ----------------------------------------------------------------------

  const API_BASE = new URL('.', window.location.href);

  async function api(path, init = {}) {
    const headers = {
      Accept: 'application/json',
      Authorization: `Bearer ${load(STORE.key) ?? ''}`,
      ...(init.headers ?? {}),
    };
    if (init.body) headers['Content-Type'] = 'application/json';
    const response = await fetch(new URL(path, API_BASE), {
      ...init,
      headers,
      cache: 'no-store',
      credentials: 'same-origin',
      redirect: 'error',
    });
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    return { status: response.status, body };
  }

  function keyRefused() {
    stopPolling();
    store(STORE.key, null);
    show('start-section', false);
    show('request-section', false);
    show('key-section', true);
    setStatus('status.key_rejected');
    focus('api-key');
  }

  // ---- regulations and the key -------------------------------------------------------------

  function renderRegulations() {
    const select = $('regulation');
    const chosen = select.value;
    select.replaceChildren(
      ...state.regulations.map((regulation) => {
        const option = el('option', { text: localName(regulation.name), lang: state.language });
        option.value = regulation.id;
        return option;
      }),
    );
    if (chosen) select.value = chosen;
  }

  async function loadRegulations() {
    setStatus('status.loading');
    let answer;
    try {
      answer = await api('regulations');
    } catch {
      setStatus('status.network');
      return false;
    }
    if (answer.status === 401 || answer.status === 403) {
      keyRefused();
      return false;
    }
    if (answer.status !== 200 || !Array.isArray(answer.body?.regulations)) {
      setStatus('status.error', { code: answer.status });
      return false;
    }
    state.regulations = answer.body.regulations.filter((r) => r && typeof r.id === 'string');
    renderRegulations();
    show('key-section', false);
    show('start-section', true);
    setStatus(state.regulations.length ? 'status.ready' : 'status.none');
    return true;
  }

  async function onKey(event) {
    event.preventDefault();
    const input = $('api-key');
    const key = input.value.trim();
    input.value = '';
    if (!key) {
      setStatus('status.key');
      input.focus();
      return;
    }
    store(STORE.key, key);
    if (!(await loadRegulations())) return;
    if (savedTransaction()) {
      const code = state.returned;
      state.returned = null;
      resume(code);
    } else {
      focus('regulation');
    }
  }

  function onForgetKey() {
    stopPolling();
    store(STORE.key, null);
    store(STORE.transaction, null);
    state.transaction = null;
    for (const id of ['start-section', 'request-section', 'result-section']) show(id, false);
    show('key-section', true);
    setStatus('status.key');
    focus('api-key');
  }

  // ---- a transaction -----------------------------------------------------------------------

  async function onStart(event) {
    event.preventDefault();
    const regulation = $('regulation').value;
    if (!regulation) return;
    const sameDevice = $('device-same').checked;
    const body = { regulation };
    if (sameDevice) body.redirect_uri = window.location.origin + window.location.pathname;
    $('start').disabled = true;
    setStatus('status.starting');
    let answer;
    try {
      answer = await api('transactions', { method: 'POST', body: JSON.stringify(body) });
    } catch {
      setStatus('status.network');
      return;
    } finally {
      $('start').disabled = false;
    }
    if (answer.status === 401) {
      keyRefused();
      return;
    }
    if (answer.status !== 201 || typeof answer.body?.transaction_id !== 'string') {
      setStatus('status.error', { code: answer.status });
      return;
    }
    state.transaction = {
      id: answer.body.transaction_id,
      link: answer.body.link,
      qr_svg: answer.body.qr_svg,
      name: answer.body.regulation?.name ?? null,
      same_device: sameDevice,
    };
    state.responseCode = null;
    store(STORE.transaction, state.transaction);
    showRequest();
    focus('request-heading');
    setStatus('status.waiting');
    startPolling();
  }

  function renderRequest() {
    const transaction = state.transaction;
    if (!transaction) return;
    const img = $('qr');
    if (typeof transaction.qr_svg === 'string' && transaction.qr_svg.startsWith('<svg')) {
      img.src = svgDataUri(transaction.qr_svg);
    }
    img.alt = t('qr.alt');
    const link = $('wallet-link');
    if (typeof transaction.link === 'string' && transaction.link.startsWith('openid4vp://')) {
      link.href = transaction.link;
    }
    $('request-regulation').textContent = t('request.for', { name: localName(transaction.name) });
  }

  function showRequest() {
    renderRequest();
    show('start-section', false);
    show('result-section', false);
    show('request-section', true);
  }

  function stopPolling() {
    state.polling += 1;
    clearTimeout(state.timer);
    state.timer = null;
  }

  function startPolling() {
    stopPolling();
    const run = state.polling;
    const again = () => {
      if (run === state.polling) state.timer = setTimeout(tick, POLL_MS);
    };
    const tick = async () => {
      if (run !== state.polling || !state.transaction) return;
      const path = `transactions/${encodeURIComponent(state.transaction.id)}`;
      // A header, not a query parameter: proxies log query strings.
      const init = state.responseCode ? { headers: { 'Response-Code': state.responseCode } } : {};
      let answer;
      try {
        answer = await api(path, init);
      } catch {
        if (run === state.polling) setStatus('status.network');
        again();
        return;
      }
      if (run !== state.polling) return;
      if (answer.status === 200 && FINAL.has(answer.body?.status)) {
        finish(answer.body);
      } else if (answer.status === 200) {
        setStatus('status.waiting');
        again();
      } else if (answer.status === 403 && !state.responseCode) {
        setStatus('status.away');
        again();
      } else if (answer.status === 401) {
        keyRefused();
      } else if (answer.status === 403 || answer.status === 404) {
        endTransaction();
        show('request-section', false);
        show('start-section', true);
        setStatus(answer.status === 403 ? 'status.forbidden' : 'status.not_found');
      } else {
        setStatus('status.error', { code: answer.status });
        again();
      }
    };
    tick();
  }

  function endTransaction() {
    stopPolling();
    store(STORE.transaction, null);
    state.responseCode = null;
  }

  function finish(result) {
    endTransaction();
    state.result = { ...result, name: state.transaction?.name ?? null };
    state.transaction = null;
    renderResult();
    show('request-section', false);
    show('result-section', true);
    focus('result-heading');
    announceResult();
  }

  function announceResult() {
    const status = state.result?.status;
    if (status === 'rejected') setStatus('status.rejected');
    else if (status === 'declined') setStatus('status.declined');
    else if (status === 'expired') setStatus('status.expired');
    else if (status === 'undetermined') setStatus('status.undetermined');
    else if (status) setStatus('status.decided', { outcome: () => t(`outcome.${status}`) });
  }

  function onCancel() {
    endTransaction();
    state.transaction = null;
    show('request-section', false);
    show('start-section', true);
    setStatus('status.ready');
    focus('regulation');
  }

  function onAgain() {
    state.result = null;
    show('result-section', false);
    show('start-section', true);
    setStatus('status.ready');
    focus('regulation');
  }

  // ---- the decision ------------------------------------------------------------------------

  function stepResult(step) {
    const value = step.result;
    if (step.kind === 'amount' && /^\d+$/.test(String(value))) return euros(Number(value));
    if (value === true) return t('step.true');
    if (value === false) return t('step.false');
    if (value === null || value === undefined || value === 'unknown') return t('step.unknown');
    return String(value);
  }

  function traceList(trace) {
    const steps = (Array.isArray(trace) ? trace : []).filter((s) => s && s.kind !== 'definition');
    if (!steps.length) return null;
    const list = el('ol', { className: 'trace' });
    for (const step of steps) {
      const item = el('li', {}, el('code', { text: String(step.id ?? '') }), `: ${stepResult(step)}`);
      const link = legalLink(step.legal_basis);
      if (link) item.append(' — ', link);
      list.append(item);
    }
    return el('section', {}, el('h3', { text: t('result.trace') }), list);
  }

  function sourceCells(source) {
    if (!source || typeof source !== 'object') return [t('source.none'), t('source.none')];
    if (source.kind === 'credential') {
      return [String(source.issuer ?? t('source.none')), String(source.vct ?? t('source.none'))];
    }
    const key = `source.${source.kind}`;
    return [TEXT.nl[key] ? t(key) : String(source.kind ?? ''), t('source.none')];
  }

  function inputsTable(inputs) {
    if (!Array.isArray(inputs) || !inputs.length) return null;
    const head = el('tr', {});
    for (const key of ['result.input', 'result.issuer', 'result.type']) {
      const th = el('th', { text: t(key) });
      th.scope = 'col';
      head.append(th);
    }
    const body = el('tbody', {});
    for (const use of inputs) {
      const [issuer, type] = sourceCells(use?.source);
      const name = el('th', {}, el('code', { text: String(use?.name ?? '') }));
      name.scope = 'row';
      body.append(el('tr', {}, name, el('td', { text: issuer }), el('td', {}, el('code', { text: type }))));
    }
    const table = el(
      'table',
      { className: 'inputs' },
      el('caption', { text: t('result.inputs_caption') }),
      el('thead', {}, head),
      body,
    );
    return el('section', {}, el('h3', { text: t('result.inputs') }), table);
  }

  function objectionSection(objection) {
    if (!objection || typeof objection !== 'object') return null;
    const text = el('p', { text: localName(objection.text) });
    const link = legalLink(objection.legal_basis);
    return el(
      'section',
      {},
      el('h3', { text: t('result.objection') }),
      text,
      link ? el('p', {}, link) : null,
    );
  }

  function followUps(list) {
    if (!Array.isArray(list) || !list.length) return null;
    const items = el('ul', {});
    for (const follow of list) {
      let line = `${follow?.officer ?? ''}: ${t(`outcome.${follow?.outcome}`)}`;
      if (Number.isInteger(follow?.amount_cents)) line += `, ${euros(follow.amount_cents)}`;
      items.append(el('li', { text: line }));
    }
    return el('section', {}, el('h3', { text: t('result.follow_ups') }), items);
  }

  function renderDecision(container, result) {
    const decision = result.decision ?? {};
    const record = decision.record ?? {};
    const name = localName(record.regulation?.name ?? result.name);
    $('result-heading').textContent = t('result.decision', { name });
    const outcome = String(record.outcome ?? result.status);
    container.append(
      el('p', { className: `outcome outcome-${outcome}`, text: t(`outcome.${outcome}`) }),
      el('p', { className: 'decision-text', text: localName(record.text) }),
    );
    if (Number.isInteger(record.amount_cents)) {
      const amount = el(
        'p',
        { className: 'amount' },
        el('strong', { text: `${t('result.amount')}: ` }),
        el('span', { text: euros(record.amount_cents) }),
      );
      if (record.estimated) amount.append(` ${t('result.estimated')}`);
      container.append(amount);
    }
    if (outcome === 'refer_hardship') {
      const note = el('p', { className: 'notice hardship', text: t('result.hardship') });
      const basis = legalLink(record.hardship_referral?.legal_basis);
      if (basis) note.append(' ', t('result.hardship_basis'), ' ', basis);
      container.append(note);
    }
    const basis = legalLink(record.regulation?.legal_basis);
    if (basis) container.append(el('p', {}, `${t('result.basis')} `, basis));
    for (const part of [
      traceList(record.trace),
      inputsTable(record.inputs),
      followUps(decision.follow_ups),
      objectionSection(record.objection),
    ]) {
      if (part) container.append(part);
    }
    if (typeof decision.decision_id === 'string') {
      container.append(
        el('p', { className: 'small' }, `${t('result.decision_id')} `, el('code', { text: decision.decision_id })),
      );
    }
  }

  function renderResult() {
    const result = state.result;
    const container = $('result');
    container.replaceChildren();
    if (!result) return;
    const name = localName(result.name);
    if (result.status === 'declined') {
      $('result-heading').textContent = t('result.request', { name });
      container.append(
        el('p', { className: 'outcome outcome-rejected', text: t('outcome.declined') }),
        el('p', { text: t('result.declined') }),
        el('p', {}, `${t('result.reason')} `, el('code', { className: 'reason', text: String(result.reason ?? '') })),
      );
    } else if (result.status === 'rejected') {
      $('result-heading').textContent = t('result.request', { name });
      container.append(
        el('p', { className: 'outcome outcome-rejected', text: t('outcome.rejected') }),
        el('p', { text: t('result.rejected') }),
        el('p', {}, `${t('result.reason')} `, el('code', { className: 'reason', text: String(result.reason ?? '') })),
      );
    } else if (result.status === 'expired') {
      $('result-heading').textContent = t('result.request', { name });
      container.append(
        el('p', { className: 'outcome outcome-expired', text: t('outcome.expired') }),
        el('p', { text: t('result.expired') }),
      );
    } else {
      renderDecision(container, result);
    }
  }

  // ---- language ----------------------------------------------------------------------------

  function applyLanguage() {
    document.documentElement.lang = state.language;
    for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
    const other = state.language === 'nl' ? 'en' : 'nl';
    const button = $('language');
    button.lang = other;
    button.textContent = TEXT[other]['language.switch'];
    renderRegulations();
    renderRequest();
    renderResult();
    if (state.status) setStatus(state.status.key, state.status.params);
  }

  function onLanguage() {
    state.language = state.language === 'nl' ? 'en' : 'nl';
    store(STORE.language, state.language);
    applyLanguage();
  }

  // ---- start -------------------------------------------------------------------------------

  function returnedCode() {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const code = fragment.get('response_code');
    if (code === null) return null;
    // The code is a credential for this one result: keep it out of the address bar and history.
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return code;
  }

  function resume(code) {
    const saved = savedTransaction();
    if (!saved) {
      if (code !== null) setStatus('status.no_return');
      return;
    }
    state.transaction = saved;
    state.responseCode = code;
    showRequest();
    setStatus(code !== null ? 'status.resuming' : 'status.waiting');
    startPolling();
  }

  function onHashChange() {
    const code = returnedCode();
    if (code !== null && load(STORE.key)) resume(code);
  }

  async function init() {
    const language = load(STORE.language);
    if (language === 'nl' || language === 'en') state.language = language;
    applyLanguage();
    $('key-form').addEventListener('submit', onKey);
    $('start-form').addEventListener('submit', onStart);
    $('forget-key').addEventListener('click', onForgetKey);
    $('cancel').addEventListener('click', onCancel);
    $('again').addEventListener('click', onAgain);
    $('language').addEventListener('click', onLanguage);
    window.addEventListener('hashchange', onHashChange);
    const code = returnedCode();
    if (!load(STORE.key)) {
      state.returned = code;
      setStatus('status.key');
      return;
    }
    if (await loadRegulations()) resume(code);
  }

  init();
})();
