/**
 * The plugin's pages in the Homebridge UI (docs/ui.md). Everything goes through
 * homebridge.request() to homebridge-ui/server.js, which the Homebridge UI only lets a signed-in
 * user reach. The page never receives a secret; it sends one only when the admin types a new
 * password for someone.
 */
(() => {
  const $ = (selector) => document.querySelector(selector);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === false) continue;
      if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
    return node;
  };
  const COVERS = new Set(['window', 'blind', 'shutter', 'awning']);
  const number = (n, digits = 0) => Number(n).toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  let tab;
  let lastState;
  /** How many platform blocks the pages' block picker offers (it shows with two or more, not on Settings). */
  let pageBlocks = 0;
  const showPicker = () => $('#pages-block-picker').classList.toggle('d-none', pageBlocks < 2 || tab === 'settings');

  function show(text, kind = 'success') {
    const box = $('#message');
    box.className = `alert alert-${kind}`;
    box.textContent = text;
  }
  function hideMessage() {
    $('#message').className = 'alert d-none';
  }
  async function call(path, body) {
    try {
      return await homebridge.request(path, body);
    } catch (err) {
      const message = (err && (err.message || (err.error && err.error.message))) || String(err);
      show(message, 'danger');
      throw err;
    }
  }
  function age(ms) {
    if (ms < 0) ms = 0;
    const s = Math.round(ms / 1000);
    if (s < 90) return `${s} s ago`;
    if (s < 5400) return `${Math.round(s / 60)} min ago`;
    return `${Math.round(s / 3600)} h ago`;
  }
  const clock = (at) => new Date(at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });

  // ---- tabs ---------------------------------------------------------------------------------
  let settingsForm;
  async function open(name) {
    tab = name;
    hideMessage();
    for (const button of document.querySelectorAll('[data-tab]')) button.classList.toggle('active', button.dataset.tab === name);
    for (const page of document.querySelectorAll('.page')) page.hidden = page.id !== `page-${name}`;
    if (name !== 'settings' && settingsForm) {
      settingsForm.end();
      settingsForm = undefined;
    }
    showPicker();
    if (name !== 'settings' && pageBlocks > 0) void loadBlocks().catch(() => {});
    if (name === 'rooms') renderRooms(lastState ?? (await call('/state')));
    if (name === 'history') await loadHistory();
    if (name === 'people') await loadPeople();
    if (name === 'privacy') await loadPrivacy();
    if (name === 'gateways') await loadGateways();
    if (name === 'settings') await openSettings();
  }

  // ---- rooms --------------------------------------------------------------------------------
  function deviceValue(d, now) {
    const s = d.state || {};
    const parts = [];
    if (COVERS.has(d.type)) {
      if (s.position !== undefined) parts.push(`${s.position} % open`);
      if (s.motion && s.motion !== 'stopped') parts.push(el('span', { class: 'moving', text: `${s.motion}${s.target !== undefined ? ` to ${s.target} %` : ''}` }));
      if (s.rain) parts.push('rain sensor wet');
      if (s.obstructed) parts.push('obstructed');
    }
    if (d.type === 'sensor') {
      if (s.co2 !== undefined) parts.push(el('span', { 'data-value': 'co2', text: `CO2 ${number(s.co2)} ppm` }));
      if (s.humidity !== undefined) parts.push(el('span', { 'data-value': 'humidity', text: `${number(s.humidity)} % RH` }));
      if (s.temperature !== undefined) parts.push(el('span', { 'data-value': 'temperature', text: `${number(s.temperature, 1)} °C` }));
    }
    if (d.type === 'departure_switch' && s.away !== undefined) parts.push(s.away ? 'away' : 'home');
    if (s.battery !== undefined) parts.push(`battery ${s.battery} %`);
    const out = [];
    parts.forEach((p, i) => out.push(i ? ', ' : '', p));
    if (d.stateUpdatedAt !== undefined) out.push(' ', el('span', { class: 'age', text: age(now - d.stateUpdatedAt) }));
    if (!d.reachable) out.push(' ', el('span', { class: 'offline', text: d.missingSince ? 'missing from the gateway' : 'not reachable' }));
    return out;
  }

  function coverControls(d) {
    const input = el('input', { class: 'form-control form-control-sm position', type: 'number', min: 0, max: 100, step: 1, value: d.state?.position ?? 0, 'aria-label': `${d.name} position` });
    const move = async () => {
      const result = await call('/command', { device: d.key, position: Number(input.value) });
      if (result.ok) show(`${d.name}: moving to ${input.value} %`);
      else show(`${d.name}: ${result.message}`, 'warning');
    };
    const stop = async () => {
      const result = await call('/command', { device: d.key, stop: true });
      if (result.ok) show(`${d.name}: stopped`);
      else show(`${d.name}: ${result.message}`, 'warning');
    };
    return el('span', { class: 'd-inline-flex gap-1' }, input, el('button', { class: 'btn btn-sm btn-primary', 'data-action': 'move', onclick: move, text: 'Move' }), el('button', { class: 'btn btn-sm btn-secondary', 'data-action': 'stop', onclick: stop, text: 'Stop' }));
  }

  function renderRooms(state) {
    lastState = state;
    if (tab !== 'rooms') return;
    const offline = $('#rooms-offline');
    offline.classList.toggle('d-none', state.running);
    offline.textContent = state.offline || '';
    const header = $('#rooms-header');
    const rooms = $('#rooms');
    if (!state.running) {
      header.replaceChildren();
      rooms.replaceChildren();
      return;
    }
    const away = el('input', { class: 'form-check-input', type: 'checkbox', id: 'away', checked: state.away });
    away.addEventListener('change', async () => {
      const result = await call('/away', { away: away.checked });
      if (result.ok) show(`Departure mode ${away.checked ? 'on' : 'off'}`);
      else show(result.message, 'warning');
    });
    const weather = state.weather || {};
    const outdoor = [weather.temperature !== undefined ? `outdoors ${number(weather.temperature, 1)} °C` : undefined, weather.rain ? 'raining' : undefined, weather.windSpeed !== undefined ? `wind ${number(weather.windSpeed, 1)} m/s` : undefined].filter(Boolean).join(', ');
    header.replaceChildren(
      el('div', { class: 'form-check form-switch' }, away, el('label', { class: 'form-check-label', for: 'away', text: 'Departure mode (away)' })),
      outdoor ? el('span', { class: 'text-muted', text: outdoor }) : '',
    );
    const focused = document.activeElement && document.activeElement.matches('input.position') ? document.activeElement.getAttribute('aria-label') : undefined;
    rooms.replaceChildren(
      ...state.rooms.map((room) => {
        const toggle = el('input', { class: 'form-check-input', type: 'checkbox', id: `climate-${room.name}`, checked: room.climateEnabled, disabled: !room.climateCapable, 'aria-label': `${room.name} climate control` });
        toggle.addEventListener('change', async () => {
          await call('/room-climate', { room: room.name, enabled: toggle.checked });
          show(`${room.name}: climate control ${toggle.checked ? 'on' : 'off'}`);
        });
        return el(
          'div',
          { class: 'card room', 'data-room': room.name },
          el(
            'div',
            { class: 'card-body' },
            el('div', { class: 'd-flex justify-content-between align-items-center' }, el('h5', { text: room.name }), room.climateCapable ? el('div', { class: 'form-check form-switch' }, toggle, el('label', { class: 'form-check-label', for: `climate-${room.name}`, text: 'Climate control' })) : ''),
            el('ul', { class: 'words', 'data-words': room.name }, room.words.map((w) => el('li', { text: w }))),
            el(
              'table',
              { class: 'table table-sm mb-0' },
              el(
                'tbody',
                {},
                room.devices.map((d) => el('tr', { 'data-device': d.key }, el('td', { text: d.name }), el('td', { class: 'text-muted', text: d.type.replace('_', ' ') }), el('td', {}, deviceValue(d, state.now)), el('td', { class: 'text-end' }, COVERS.has(d.type) ? coverControls(d) : ''))),
              ),
            ),
          ),
        );
      }),
    );
    if (focused) {
      const again = [...document.querySelectorAll('input.position')].find((i) => i.getAttribute('aria-label') === focused);
      again?.focus();
    }
  }

  // ---- history: the sensor history's charts with the climate control's decisions marked ----
  const METRICS = [
    ['co2', 'CO2 (ppm)', '#8e44ad'],
    ['humidity', 'Humidity (%)', '#2e86c1'],
    ['temperature', 'Temperature (°C)', '#d35400'],
  ];
  const MARK = { action: '#2a9d8f', blocked: '#c9302c' };
  let historyRoom;
  let historyDays = 1;
  let charts = [];
  /** A uPlot plugin: a dashed vertical line at each decision; counts what it drew on the chart. */
  function markers(marks, holder) {
    return {
      hooks: {
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            let drawn = 0;
            for (const m of marks) {
              const x = u.valToPos(m.t, 'x', true);
              if (!(x >= bbox.left && x <= bbox.left + bbox.width)) continue;
              ctx.save();
              ctx.strokeStyle = MARK[m.kind] || MARK.action;
              ctx.lineWidth = 1.5;
              ctx.setLineDash([5, 4]);
              ctx.beginPath();
              ctx.moveTo(x, bbox.top);
              ctx.lineTo(x, bbox.top + bbox.height);
              ctx.stroke();
              ctx.restore();
              drawn++;
            }
            holder.dataset.drawnMarks = String(drawn);
          },
        ],
      },
    };
  }
  async function loadHistory() {
    const data = await call('/history', { room: historyRoom, days: historyDays });
    historyRoom = data.room;
    $('#history-room').replaceChildren(...data.rooms.map((r) => el('option', { value: r, selected: r === data.room, text: r })));
    for (const b of document.querySelectorAll('[data-days]')) b.classList.toggle('active', Number(b.dataset.days) === data.days);
    for (const chart of charts) chart.destroy();
    charts = [];
    const holder = $('#charts');
    holder.replaceChildren();
    const empty = $('#history-empty');
    empty.classList.toggle('d-none', data.points.length > 0);
    empty.textContent = data.rooms.length === 0 ? 'No sensor history yet: it fills as the sensors report (10-minute means, kept climate.historyDays days).' : `No readings for ${data.room} in this time.`;
    const xs = data.points.map((p) => p.t / 1000);
    const marks = data.events.map((e) => ({ t: e.at / 1000, kind: e.kind }));
    const width = Math.max(320, holder.clientWidth || 800);
    if (data.points.length > 0) {
      for (const [metric, label, color] of METRICS) {
        const ys = data.points.map((p) => (p[metric] === undefined ? null : p[metric]));
        if (ys.every((v) => v === null)) continue;
        const div = el('div', { class: 'chart', 'data-chart': metric, 'data-points': ys.filter((v) => v !== null).length, 'data-marks': marks.length });
        holder.append(div);
        const options = {
          width,
          height: 170,
          title: label,
          legend: { show: false },
          scales: { x: { time: true, range: () => [data.from / 1000, data.to / 1000] } },
          series: [{}, { label, stroke: color, width: 1.5, spanGaps: false }],
          plugins: [markers(marks, div)],
        };
        charts.push(new window.uPlot(options, [xs, ys], div));
      }
    }
    $('#history-events').replaceChildren(
      ...(data.events.length ? [...data.events].reverse().map((e) => el('li', { class: e.kind === 'blocked' ? 'mark-blocked' : 'mark-action', text: `${new Date(e.at).toLocaleString('en-GB', { weekday: 'short', hour: '2-digit', minute: '2-digit' })} ${e.text}` })) : [el('li', { class: 'text-muted', text: 'nothing in this time' })]),
    );
  }
  $('#history-room').addEventListener('change', () => {
    historyRoom = $('#history-room').value;
    void loadHistory();
  });
  for (const b of document.querySelectorAll('[data-days]')) {
    b.addEventListener('click', () => {
      historyDays = Number(b.dataset.days);
      void loadHistory();
    });
  }

  // ---- people -------------------------------------------------------------------------------
  let people = [];
  async function loadPeople() {
    people = await call('/users');
    const guests = people.filter((p) => p.role === 'guest').length;
    const hasAdmin = people.some((p) => p.role === 'admin');
    $('#people-count').textContent = `${guests} of 20 guest places used.`;
    $('#add-role').textContent = hasAdmin ? 'as a guest' : 'as the admin (the first account)';
    $('#people-table tbody').replaceChildren(
      ...people.map((p) =>
        el(
          'tr',
          { 'data-person': p.name },
          el('td', { text: p.name }),
          el('td', { text: p.role }),
          el('td', { text: p.googleLinks > 0 ? `linked (${p.googleLinks})` : 'not linked' }),
          el('td', { text: p.createdAt.slice(0, 10) }),
          el(
            'td',
            { class: 'text-end' },
            el('button', { class: 'btn btn-sm btn-secondary me-1', onclick: () => askPassword(p.name), text: 'Reset password' }),
            el('button', { class: 'btn btn-sm btn-secondary me-1', disabled: p.googleLinks === 0, onclick: () => personAction('/users/unlink', p.name), text: 'Unlink' }),
            el('button', { class: 'btn btn-sm btn-danger', 'data-action': 'remove', onclick: () => confirmThen(`Remove ${p.name}? Their Google Home link stops working at once.`, () => personAction('/users/remove', p.name)), text: 'Remove' }),
          ),
        ),
      ),
    );
  }
  async function personAction(path, name) {
    const result = await call(path, { name });
    await loadPeople();
    show(result.message);
  }
  function askPassword(name) {
    $('#password-name').textContent = name;
    $('#reset-password').value = '';
    $('#password-box').classList.remove('d-none');
  }
  $('#password-cancel').addEventListener('click', () => $('#password-box').classList.add('d-none'));
  $('#password-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = $('#password-name').textContent;
    const password = $('#reset-password').value;
    $('#reset-password').value = '';
    const result = await call('/users/passwd', { name, password });
    $('#password-box').classList.add('d-none');
    show(result.message);
  });
  $('#add-person').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = $('#new-name').value.trim();
    const password = $('#new-password').value;
    $('#new-password').value = '';
    const role = people.some((p) => p.role === 'admin') ? 'guest' : 'admin';
    const result = await call('/users/add', { name, password, role }).catch(() => undefined);
    if (!result) return;
    $('#new-name').value = '';
    await loadPeople();
    show(result.message);
  });

  // ---- confirmation (the UI's frame allows no browser dialogs) ------------------------------
  let confirmed;
  function confirmThen(text, action) {
    $('#confirm-text').textContent = text;
    confirmed = action;
    const box = $('#confirm');
    box.classList.remove('d-none');
    if (!box.closest('.page').hidden) return;
    // People page: show the box there
    $('#page-people').append(box);
  }
  $('#confirm-yes').addEventListener('click', async () => {
    $('#confirm').classList.add('d-none');
    const action = confirmed;
    confirmed = undefined;
    await action?.();
  });
  $('#confirm-no').addEventListener('click', () => {
    $('#confirm').classList.add('d-none');
    confirmed = undefined;
    show('Nothing was changed.', 'secondary');
  });

  // ---- privacy ------------------------------------------------------------------------------
  async function loadPrivacy() {
    const place = $('#page-privacy');
    if ($('#confirm').parentElement !== place) place.insertBefore($('#confirm'), $('#privacy-result'));
    const [inventory, list] = await Promise.all([call('/privacy/inventory'), call('/users')]);
    people = list;
    $('#privacy-folder').textContent = inventory.folder;
    $('#privacy-files tbody').replaceChildren(...inventory.files.map((f) => el('tr', {}, el('td', {}, el('code', { text: f.file })), el('td', { text: f.holds }), el('td', { text: f.exists ? `${number(f.bytes)} bytes` : 'not there' }))));
    $('#privacy-person').replaceChildren(...(people.length ? people.map((p) => el('option', { value: p.name, text: p.name })) : [el('option', { value: '', text: 'no accounts' })]));
  }
  function download(filename, text) {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = el('a', { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  $('#export-bridge').addEventListener('click', async () => {
    const result = await call('/privacy/export', {});
    download(result.filename, result.json);
    show(`Exported to ${result.filename}`);
  });
  $('#export-person').addEventListener('click', async () => {
    const user = $('#privacy-person').value;
    if (!user) return show('There is nobody to export.', 'warning');
    const result = await call('/privacy/export', { user });
    download(result.filename, result.json);
    show(`Exported to ${result.filename}`);
  });
  $('#erase-person').addEventListener('click', () => {
    const user = $('#privacy-person').value;
    if (!user) return show('There is nobody to erase.', 'warning');
    confirmThen(`Erase everything stored about ${user}: their account and every Google link? This cannot be undone.`, async () => {
      const result = await call('/privacy/erase', { user });
      $('#privacy-result').classList.remove('d-none');
      $('#privacy-result').textContent = result.message;
      await loadPrivacy();
      show(result.ok ? `Erased ${user}.` : `Erased ${user}, with a warning (below).`, result.ok ? 'success' : 'warning');
    });
  });
  $('#reset-bridge').addEventListener('click', () => {
    confirmThen('Reset the bridge for moving house: remove the guests, every Google link, the climate history and memory, and the VELUX ACTIVE pairings? Homebridge must be stopped first.', async () => {
      const result = await call('/privacy/reset', {});
      $('#privacy-result').classList.remove('d-none');
      $('#privacy-result').textContent = result.message;
      await loadPrivacy();
    });
  });

  // ---- gateways -----------------------------------------------------------------------------
  async function loadGateways() {
    const data = await call('/gateways');
    const offline = $('#gateways-offline');
    offline.classList.toggle('d-none', data.running);
    offline.textContent = data.offline || '';
    const now = Date.now();
    $('#gateways-table tbody').replaceChildren(
      ...data.gateways.map((g) =>
        el(
          'tr',
          { 'data-gateway': g.key },
          el('td', { text: g.name }),
          el('td', { text: g.type === 'homekit' ? 'VELUX ACTIVE (KIX 300)' : g.type === 'klf200' ? 'KLF 200' : 'MQTT' }),
          el('td', { class: g.online ? '' : 'offline', text: g.online ? 'online' : 'offline' }),
          el('td', { text: g.devices }),
          el('td', { text: g.lastMessageAt ? `${clock(g.lastMessageAt)} (${age(now - g.lastMessageAt)})` : '–' }),
          el('td', { text: g.type === 'homekit' ? (g.paired ? 'paired with this plugin' : 'not paired yet') : '–' }),
        ),
      ),
    );
  }
  $('#discover').addEventListener('click', async () => {
    $('#discover-message').textContent = 'Looking for 3 s…';
    const result = await call('/gateways/discover', {});
    const table = $('#discovered');
    table.classList.toggle('d-none', result.found.length === 0);
    table.querySelector('tbody').replaceChildren(
      ...result.found.map((g) =>
        el('tr', {}, el('td', { text: g.name }), el('td', { text: `${g.host}:${g.port}` }), el('td', { text: g.model || '?' }), el('td', { text: g.pluginPairing ? 'paired with this plugin' : g.paired ? 'paired with another controller' : 'ready for the setup code' })),
      ),
    );
    $('#discover-message').textContent = result.message || `${result.found.length} found.`;
  });

  // ---- settings: the generated form of config.schema.json, one platform block at a time -----
  let blocks = [];
  let current = 0;
  let checkTimer;
  let changes = 0;
  async function openSettings() {
    const schema = await homebridge.getPluginConfigSchema();
    blocks = await homebridge.getPluginConfig();
    if (blocks.length === 0) blocks = [{ platform: schema.pluginAlias }];
    if (current >= blocks.length) current = 0;
    const picker = $('#block-picker');
    picker.replaceChildren();
    if (blocks.length > 1) {
      const select = el('select', { class: 'form-select w-auto', 'aria-label': 'Platform block' }, blocks.map((b, i) => el('option', { value: i, selected: i === current, text: b.name || `Block ${i + 1}` })));
      select.addEventListener('change', () => {
        current = Number(select.value);
        void openSettings();
      });
      picker.append(el('span', { text: 'Platform block:' }), select);
    }
    settingsForm?.end();
    settingsForm = homebridge.createForm({ schema: schema.schema, layout: schema.layout, form: schema.form }, blocks[current]);
    settingsForm.onChange((data) => {
      changes++;
      $('#velux').dataset.synced = 'false';
      blocks[current] = { ...data, platform: schema.pluginAlias };
      const mine = changes;
      // At once, so a Save right after a change saves it; the check can wait for a pause in typing.
      void homebridge.updatePluginConfig(blocks).then(() => {
        clearTimeout(checkTimer);
        checkTimer = setTimeout(() => void check(blocks[current], mine), 300);
      });
    });
  }
  /** The plugin's own config check: Save stays off while the block has problems (strictValidation). */
  async function check(block, mine) {
    const { problems } = await call('/config/check', { block });
    if (mine !== changes) return; // a newer change is on its way
    $('#config-problems').replaceChildren(...problems.map((p) => el('li', { text: p })));
    if (problems.length) homebridge.disableSaveButton();
    else homebridge.enableSaveButton();
    // for tests and scripts: every change has reached the dialog and been checked
    $('#velux').dataset.synced = 'true';
  }

  // ---- start --------------------------------------------------------------------------------
  homebridge.addEventListener('state', (event) => renderRooms(event.data));
  for (const button of document.querySelectorAll('[data-tab]')) button.addEventListener('click', () => void open(button.dataset.tab));
  // With several platform blocks (child bridges), Rooms, History, People, Privacy and Gateways
  // show the block picked here (the server part remembers the pick for this dialog). Its ids are
  // pages-block-*: #block-picker is the Settings tab's own picker (it edits any block).
  async function loadBlocks() {
    const { blocks, selected } = await call('/blocks');
    const select = $('#pages-block-select');
    select.replaceChildren(...blocks.map((b) => el('option', { value: b.id, selected: b.id === selected, text: b.name === b.id ? b.id : `${b.name} (${b.id})` })));
    pageBlocks = blocks.length;
    showPicker();
  }
  $('#pages-block-select').addEventListener('change', async (event) => {
    await call('/blocks/select', { id: event.target.value });
    lastState = undefined;
    if (tab !== 'settings') await open(tab);
  });
  homebridge.addEventListener('ready', async () => {
    // The block list waits for the server part's modules: never hold the first page for it,
    // and never take the user off a tab they opened meanwhile.
    void loadBlocks().catch(() => {});
    const configured = await homebridge.getPluginConfig();
    if (tab === undefined) await open(configured.length === 0 ? 'settings' : 'rooms');
  });
})();
