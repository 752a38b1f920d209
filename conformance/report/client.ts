// The report page's own script, inlined into the page (no network): it rebuilds a server's state
// at the selected step from the per-step changes (with a checkpoint every 64 steps, so that a move
// costs at most 64 changes), shows it beside the trace's expectations, and moves the selection
// with the keyboard (←/→, Home/End) or a click. Plain ES2020, no template literals: it is a string.
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('raftspec-data').textContent);
  var n = data.steps.length;
  var runs = data.runs;
  var diff = runs.length > 1;
  var CHECKPOINT = 64;
  var caches = runs.map(function () { return { marks: {}, at: -2, state: null }; });
  var selected = -1;

  function initialState(run) {
    var nodes = {};
    data.servers.forEach(function (id) { nodes[id] = run.initial[id]; });
    return { nodes: nodes, crashed: [] };
  }
  // One step's change: changed fields replaced; a changed log keeps its entries before change.from (down to the snapshot).
  function applyChange(st, ch) {
    if (!ch.nodes && !ch.crashed) return st;
    var nodes = Object.assign({}, st.nodes);
    if (ch.nodes) Object.keys(ch.nodes).forEach(function (id) {
      var c = ch.nodes[id];
      var old = nodes[id];
      var s = Object.assign({}, old);
      Object.keys(c).forEach(function (f) { if (f !== 'log') s[f] = c[f]; });
      if (c.log) {
        var keep = [];
        for (var j = s.snapshotIndex + 1; j < c.log.from; j++) keep.push(old.log[j - old.snapshotIndex - 1]);
        s.log = keep.concat(c.log.entries);
      }
      nodes[id] = s;
    });
    return { nodes: nodes, crashed: ch.crashed || st.crashed };
  }
  // The cluster after step i (-1: the initial state) in run r.
  function stateAt(r, i) {
    var cache = caches[r];
    if (cache.at === i) return cache.state;
    var start = -1;
    var st = null;
    if (cache.state && cache.at < i) { start = cache.at; st = cache.state; }
    for (var k = Math.floor((i + 1) / CHECKPOINT) * CHECKPOINT - 1; k > start; k -= CHECKPOINT) {
      if (cache.marks[k]) { start = k; st = cache.marks[k]; break; }
    }
    if (!st) { st = initialState(runs[r]); start = -1; }
    for (var j = start + 1; j <= i; j++) {
      st = applyChange(st, runs[r].changes[j]);
      if ((j + 1) % CHECKPOINT === 0) cache.marks[j] = st;
    }
    cache.at = i;
    cache.state = st;
    return st;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function show(v) {
    if (v === undefined) return '';
    if (typeof v === 'string') return v;
    return JSON.stringify(v);
  }
  function isDefault(v) {
    if (v === 0 || v === null || v === false || v === undefined) return true;
    if (Array.isArray(v)) return v.length === 0;
    if (typeof v === 'object') return Object.keys(v).every(function (k) { return isDefault(v[k]); });
    return false;
  }
  function ruleChip(id) {
    var r = data.rules[id];
    var chip = el('span', 'rule', id);
    if (r) chip.title = id + ' ' + r.title + ' (' + r.section + '): ' + r.text;
    return chip;
  }
  function shortCommand(e) {
    if (e.config) return 'cfg';
    if (e.command === null) return '∅';
    var s = typeof e.command === 'string' ? e.command : JSON.stringify(e.command);
    return s.length > 9 ? s.slice(0, 8) + '…' : s;
  }

  var ALWAYS = ['role', 'currentTerm', 'votedFor', 'commitIndex', 'lastApplied', 'leaderId', 'votesGranted', 'nextIndex', 'matchIndex'];
  var SOMETIMES = ['snapshotIndex', 'snapshotTerm', 'snapshotConfig', 'snapshotMachine', 'machine', 'partialSnapshot', 'heardFromLeader', 'recentlyActive', 'transferee', 'appliedIndex'];

  // The log as a grid: one column per index (the last 40), one row per term, the command in the cell of its entry's term.
  function logGrid(node, change, label) {
    var box = el('div', 'logbox');
    var entries = node.log;
    var base = node.snapshotIndex;
    var last = base + entries.length;
    var head = el('div', 'loghead', (label ? label + ': ' : '') + 'log, ' + entries.length + ' entries' + (base > 0 ? ' after a snapshot through ' + base + ' (term ' + node.snapshotTerm + ')' : '') + ', commitIndex ' + node.commitIndex);
    box.appendChild(head);
    if (entries.length === 0) return box;
    var first = Math.max(base + 1, last - 39);
    if (first > base + 1) box.appendChild(el('div', 'muted', '… ' + (first - base - 1) + ' earlier entries not shown'));
    var terms = [];
    for (var i = first; i <= last; i++) { var t = entries[i - base - 1].term; if (terms.indexOf(t) < 0) terms.push(t); }
    terms.sort(function (a, b) { return b - a; });
    var table = el('table', 'loggrid');
    var hr = el('tr');
    hr.appendChild(el('th', 'corner', 'term \\ index'));
    for (i = first; i <= last; i++) hr.appendChild(el('th', i <= node.commitIndex ? 'committed' : '', String(i)));
    table.appendChild(hr);
    terms.forEach(function (t) {
      var tr = el('tr');
      tr.appendChild(el('th', '', String(t)));
      for (var i = first; i <= last; i++) {
        var e = entries[i - base - 1];
        if (e.term !== t) { tr.appendChild(el('td')); continue; }
        var cls = 'entry' + (i <= node.commitIndex ? ' committed' : '') + (change && change.log && i >= change.log.from ? ' changed' : '');
        var td = el('td', cls, shortCommand(e));
        td.title = 'index ' + i + ', term ' + e.term + ': ' + JSON.stringify(e.command) + (e.config ? ' config ' + JSON.stringify(e.config) : '');
        td.style.background = 'hsl(' + ((t * 47) % 360) + ', 65%, ' + (i <= node.commitIndex ? '78%' : '92%') + ')';
        tr.appendChild(td);
      }
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  function serverCard(id, i) {
    var states = runs.map(function (_, r) { return stateAt(r, i); });
    var changes = runs.map(function (run) { return i >= 0 && run.changes[i].nodes ? run.changes[i].nodes[id] : undefined; });
    var step = i >= 0 ? data.steps[i] : null;
    var expect = step && step.expect ? step.expect[id] : undefined;
    var mism = i >= 0 && runs[0].mismatches[i] ? runs[0].mismatches[i][id] : undefined;
    var down = states[0].crashed.indexOf(id) >= 0;
    var card = el('div', 'server' + (down ? ' down' : ''));
    card.dataset.server = id;
    var h = el('h3', '', id + ' ');
    h.appendChild(el('span', 'role role-' + states[0].nodes[id].role, states[0].nodes[id].role));
    if (down) h.appendChild(el('span', 'badge down', 'crashed'));
    if (changes.some(function (c) { return c; })) h.appendChild(el('span', 'badge changed', 'changed at this step'));
    card.appendChild(h);
    var table = el('table', 'fields');
    var tr = el('tr');
    tr.appendChild(el('th', '', 'field'));
    runs.forEach(function (run) { tr.appendChild(el('th', '', diff ? run.label : 'the model')); });
    if (expect) tr.appendChild(el('th', '', 'the trace expects'));
    table.appendChild(tr);
    var fields = ALWAYS.concat(SOMETIMES.filter(function (f) {
      return states.some(function (s) { return !isDefault(s.nodes[id][f]); }) || changes.some(function (c) { return c && f in c; }) || (expect && f in expect);
    }));
    fields.forEach(function (f) {
      var row = el('tr');
      row.dataset.field = f;
      row.appendChild(el('th', '', f));
      var values = states.map(function (s) { return show(s.nodes[id][f]); });
      states.forEach(function (s, r) {
        var cls = [];
        if (changes[r] && f in changes[r]) cls.push('changed');
        if (r === 0 && mism && mism[f]) cls.push('mismatch');
        if (diff && values[0] !== values[1]) cls.push('differs');
        row.appendChild(el('td', cls.join(' '), values[r]));
      });
      if (expect) {
        var want = f in expect ? (mism && mism[f] ? mism[f].expected : show(expect[f])) : '';
        row.appendChild(el('td', mism && mism[f] ? 'mismatch expected' : 'expected', want));
      }
      table.appendChild(row);
    });
    ['log', 'logSuffix'].forEach(function (f) {
      if (!expect || !(f in expect)) return;
      var row = el('tr');
      row.dataset.field = f;
      row.appendChild(el('th', '', f));
      var m = mism && mism[f];
      runs.forEach(function (_, r) { row.appendChild(el('td', m && r === 0 ? 'mismatch' : '', m && r === 0 ? m.actual : 'as expected')); });
      row.appendChild(el('td', m ? 'mismatch expected' : 'expected', m ? m.expected : f === 'log' ? expect.log.length + ' entries' : 'from ' + expect.logSuffix.from + ', ' + expect.logSuffix.entries.length + ' entries'));
      table.appendChild(row);
    });
    card.appendChild(table);
    states.forEach(function (s, r) {
      if (r > 0 && JSON.stringify(s.nodes[id].log) === JSON.stringify(states[0].nodes[id].log) && s.nodes[id].commitIndex === states[0].nodes[id].commitIndex) return;
      card.appendChild(logGrid(s.nodes[id], changes[r], diff ? runs[r].label : ''));
    });
    return card;
  }

  function messagesAt(run, i) {
    var box = el('div', 'messages');
    run.arrows.forEach(function (a) {
      var line = null;
      if (a.end === i && a.kind !== 'lost') line = (a.kind === 'deliver' ? 'delivered' : a.kind === 'drop' ? 'dropped' : a.kind === 'inject' ? 'injected' : 'lost to the partition') + ': ' + a.name + (a.send === null ? (a.kind === 'inject' ? '' : ' (sent by no step of this run)') : ' (sent at step ' + a.send + ')');
      else if (a.send === i) line = (a.copy ? 'copied (duplicate): ' : 'sent: ') + a.name + (a.kind === 'lost' ? ' (lost: a partition separates them)' : a.end === null ? ' (still in flight at the end)' : ' (' + (a.kind === 'deliver' ? 'delivered' : a.kind === 'drop' ? 'dropped' : 'lost') + ' at step ' + a.end + ')');
      if (line !== null) box.appendChild(el('div', 'msg msg-' + a.kind, line));
    });
    return box;
  }

  function render(i) {
    var panel = document.getElementById('step');
    panel.textContent = '';
    var step = data.steps[i];
    var h = el('h2', '', 'Step ' + i + ' of ' + (n - 1) + ': ' + step.event);
    panel.appendChild(h);
    if (data.verdict.step === i) panel.appendChild(el('div', 'badge failing', data.verdict.status === 'differs' ? 'the first step where the runs differ' : 'the failing step: ' + data.verdict.problems[0]));
    if (step.note) panel.appendChild(el('div', 'note', step.note));
    runs.forEach(function (run, r) {
      var sect = el('div', 'run');
      if (diff) sect.appendChild(el('h4', '', run.label));
      if (run.remarks[i]) sect.appendChild(el('div', 'remark', run.remarks[i]));
      var rules = el('div', 'rules');
      rules.appendChild(el('span', 'muted', 'rules the model fired: '));
      if (run.rules[i].length === 0) rules.appendChild(el('span', 'muted', 'none'));
      run.rules[i].forEach(function (id) { rules.appendChild(ruleChip(id)); });
      sect.appendChild(rules);
      sect.appendChild(messagesAt(run, i));
      var m = run.mismatches[i];
      if (m) Object.keys(m).forEach(function (node) {
        Object.keys(m[node]).forEach(function (f) {
          sect.appendChild(el('div', 'mismatch-line', (node ? node + '.' : '') + f + ': the trace expects ' + m[node][f].expected + ', the model has ' + m[node][f].actual));
        });
      });
      panel.appendChild(sect);
    });
    var servers = document.getElementById('servers');
    servers.textContent = '';
    data.servers.forEach(function (id) { servers.appendChild(serverCard(id, i)); });
  }

  function select(i) {
    if (n === 0) return;
    i = Math.max(0, Math.min(n - 1, i));
    if (i === selected) return;
    var before = document.querySelectorAll('.row.selected, .arrow.hl');
    for (var k = 0; k < before.length; k++) before[k].classList.remove('selected', 'hl');
    var rows = document.querySelectorAll('.row[data-step="' + i + '"]');
    for (k = 0; k < rows.length; k++) rows[k].classList.add('selected');
    var arrows = document.querySelectorAll('.arrow[data-send="' + i + '"], .arrow[data-end="' + i + '"]');
    for (k = 0; k < arrows.length; k++) arrows[k].classList.add('hl');
    selected = i;
    document.body.dataset.step = String(i);
    render(i);
    if (rows[0]) rows[0].scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var to = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? selected + 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? selected - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : null;
    if (to === null) return;
    e.preventDefault();
    select(to);
  });
  document.getElementById('diagram').addEventListener('click', function (e) {
    var t = e.target;
    var at = t.getAttribute && (t.getAttribute('data-step') || t.getAttribute('data-end') || t.getAttribute('data-send'));
    if (at !== null && at !== undefined && at !== '') select(Number(at));
  });
  var go = document.querySelectorAll('[data-goto]');
  for (var g = 0; g < go.length; g++) go[g].addEventListener('click', function (e) { select(Number(e.currentTarget.getAttribute('data-goto'))); });

  if (n === 0) {
    var servers = document.getElementById('servers');
    data.servers.forEach(function (id) { servers.appendChild(serverCard(id, -1)); });
  } else {
    select(data.verdict.step !== null && data.verdict.step >= 0 ? data.verdict.step : 0);
  }
  document.body.dataset.ready = 'true';
})();`;
