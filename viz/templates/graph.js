(function () {
  "use strict";
  // Everything shown comes from this one data element and reaches the screen as text only:
  // textContent in the panels, labels drawn on the canvas, tooltips given to vis-network as strings.
  const data = JSON.parse(document.getElementById("lineage-data").textContent);
  const style = data.style;
  const nodes = data.nodes, edges = data.edges, findings = data.findings, groups = data.groups;
  const FACETS = ["stage", "service", "account", "region"];
  const ANY = 0, UP = 1, DOWN = 2;  // how a walk last moved through S3 containment (as Graph.reach)

  const UNSAID = data.defaults;  // what most nodes have, left out of the data to keep a large page small
  const FLOWS = new Set(data.flows);
  const EITHER_WAY = new Set(data.either_way);  // flows whose direction is unknown: walked both ways
  const READS_ALL = new Set(data.reads_all);  // what takes a whole bucket's data, not one path's
  nodes.forEach(function (node, index) {
    for (const key in UNSAID) { if (!(key in node)) { node[key] = UNSAID[key]; } }
    node.index = index;
    node.service = node.kind.split(".")[0];
    node.lowerName = node.name.toLowerCase();
    node.lowerId = node.id.toLowerCase();
    node.flowsOut = [];
    node.flowsIn = [];
    node.crossing = false;  // an end of a flow between accounts
  });
  edges.forEach(function (edge, index) {
    edge.flow = FLOWS.has(edge.kind);
    edge.cross = Boolean(edge.accounts);  // named only on an edge from one known account to another
    if (edge.cross && edge.kind !== "part_of") { nodes[edge.s].crossing = true; nodes[edge.t].crossing = true; }
    edge.both = EITHER_WAY.has(edge.kind) && edge.s !== edge.t;
    edge.evidence = edge.evidence || [];
    edge.more_evidence = edge.more_evidence || 0;
    if (edge.flow) { nodes[edge.s].flowsOut.push(index); nodes[edge.t].flowsIn.push(index); }
    if (edge.flow && edge.both) { nodes[edge.t].flowsOut.push(index); nodes[edge.s].flowsIn.push(index); }
  });
  groups.forEach(function (group, index) { group.index = index; });
  // The accounts the scan knows (a place whose account is unknown is in none): with one, the page draws
  // nothing about accounts that it did not draw before.
  const ACCOUNTS = [...new Set(nodes.map(function (node) { return node.account; }))].filter(Boolean).sort();

  const UNFOLD_STEP = 200;  // members one click unfolds: a cluster can hold thousands, more than a page can draw
  const state = {
    opened: new Map(),  // group -> how many of its members stand apart from it; a group not here is folded
    trail: [],  // {node, depth} of each focus, in the order chosen: the breadcrumb
    depth: data.initial.depth,  // for the next focus
    excluded: {stage: new Set(), service: new Set(), account: new Set(), region: new Set()},
    personalOnly: data.initial.personal_only,
    minimumSeverity: -1,
    observedOnly: false,
    crossingOnly: false,  // only the flows between accounts, and their ends
    ends: new Set(),  // nodes of accounts not chosen, shown as the ends of flows that leave the chosen ones
    structure: false,
  };

  // ---- what is shown --------------------------------------------------------------------------

  function passes(node) { return passesOwn(node, false) || state.ends.has(node.index); }

  // Every filter, its account aside when `anyAccount`.
  function passesOwn(node, anyAccount) {
    for (const facet of FACETS) {
      if (state.excluded[facet].has(node[facet]) && !(anyAccount && facet === "account")) { return false; }
    }
    return !(state.personalOnly && !node.personal.length) && node.severity >= state.minimumSeverity &&
      !(state.observedOnly && !node.observed) && !(state.crossingOnly && !node.crossing);
  }

  function failures(node) {
    const failed = FACETS.filter(function (facet) { return state.excluded[facet].has(node[facet]); });
    if (state.personalOnly && !node.personal.length) { failed.push("personal-only"); }
    if (node.severity < state.minimumSeverity) { failed.push("severity"); }
    if (state.observedOnly && !node.observed) { failed.push("observed-only"); }
    if (state.crossingOnly && !node.crossing) { failed.push("cross-account-only"); }
    return failed;
  }

  // Where the chosen accounts' data comes from and goes to stays in view: a node of an account left out
  // is shown when a flow joins it to a node shown in its own right, and it passes every other filter.
  function flowEnds() {
    const ends = new Set();
    if (!state.excluded.account.size) { return ends; }
    edges.forEach(function (edge) {
      if (!edge.flow || (state.crossingOnly && !edge.cross)) { return; }
      [[edge.s, edge.t], [edge.t, edge.s]].forEach(function ([inside, outside]) {
        if (!ends.has(outside) && passesOwn(nodes[inside], false) && passesOwn(nodes[outside], true)) { ends.add(outside); }
      });
    });
    return ends;
  }

  // The nodes `depth` flows from `start`, with their distance: the walk of Graph.reach, so the page and
  // `lineage lineage` agree. The same data (a table and its location, an S3 path and what holds it or
  // lies in it) costs nothing; containment is followed one way at a time; reached by going up from one
  // of its paths, a bucket passes data on only to what reads all of it.
  // The end of an edge a walk reaches from `at`: for a flow of unknown direction, whichever end `at` is not.
  function across(edge, at, downstream) {
    if (edge.both) { return edge.s === at ? edge.t : edge.s; }
    return downstream ? edge.t : edge.s;
  }

  function reach(start, downstream, depth) {
    const seen = new Set([start * 3 + ANY]);
    const distance = new Map();
    let frontier = [[start, ANY]];
    for (let steps = 0; frontier.length; steps++) {
      const level = frontier;
      const visit = function (other, way) {
        const key = other * 3 + way;
        if (!seen.has(key)) { seen.add(key); level.push([other, way]); }
      };
      for (let k = 0; k < level.length; k++) {
        const [at, way] = level[k];
        if (!distance.has(at)) { distance.set(at, steps); }
        const node = nodes[at];
        node.eq.forEach(function (other) { visit(other, way); });
        if (way !== DOWN) { node.up.forEach(function (other) { visit(other, UP); }); }
        if (way !== UP) { node.down.forEach(function (other) { visit(other, DOWN); }); }
      }
      if (steps >= depth) { break; }
      const next = [];
      level.forEach(function ([at, way]) {
        for (const e of downstream ? nodes[at].flowsOut : nodes[at].flowsIn) {
          const edge = edges[e];
          if (way === UP && at !== start && downstream && !READS_ALL.has(edge.kind)) { continue; }
          const other = across(edge, at, downstream);
          const key = other * 3 + ANY;
          if (!seen.has(key)) { seen.add(key); next.push([other, ANY]); }
        }
      });
      frontier = next;
    }
    return distance;
  }

  // Around a focused node: what feeds it to the left, what it feeds to the right, one column per flow.
  function focusView(centre, walk) {
    const down = walk.down, up = walk.up;
    const column = new Map();
    up.forEach(function (steps, at) { column.set(at, -steps); });
    down.forEach(function (steps, at) { if (!column.has(at) || steps <= -column.get(at)) { column.set(at, steps); } });
    const shown = [...column.keys()].filter(function (at) { return at === centre || passes(nodes[at]); });
    const byColumn = new Map();
    shown.forEach(function (at) {
      const c = column.get(at);
      if (!byColumn.has(c)) { byColumn.set(c, []); }
      byColumn.get(c).push(at);
    });
    const row = new Map();
    const order = [...byColumn.keys()].sort(function (a, b) { return Math.abs(a) - Math.abs(b) || b - a; });
    order.forEach(function (c) {
      // Rows follow the column nearer the centre, already placed, which keeps crossings few.
      const members = byColumn.get(c);
      const mean = function (at) {
        const list = c >= 0 ? nodes[at].flowsIn.map(function (e) { return across(edges[e], at, false); })
          : nodes[at].flowsOut.map(function (e) { return across(edges[e], at, true); });
        const rows = list.filter(function (other) { return row.has(other); }).map(function (other) { return row.get(other); });
        return rows.length ? rows.reduce(function (a, b) { return a + b; }, 0) / rows.length : 0;
      };
      const key = new Map(members.map(function (at) { return [at, mean(at)]; }));
      members.sort(function (a, b) { return key.get(a) - key.get(b) || compareNames(a, b); });
      members.forEach(function (at, i) { row.set(at, i - (members.length - 1) / 2); });
    });
    // As in the whole graph, a column too tall stands as several side by side, nodes dealt across them.
    const most = Math.max(style.min_rows, Math.ceil(style.wrap_ratio * Math.sqrt(shown.length)));
    const parts = new Map([...byColumn].map(function ([c, list]) { return [c, Math.ceil(list.length / most)]; }));
    const left = new Map();  // column -> x of its first part: the focus at 0, what feeds it to the left
    [...byColumn.keys()].sort(function (a, b) { return a - b; }).forEach(function (c) {
      let x = 0;
      if (c > 0) { for (let k = 0; k < c; k++) { x += (parts.get(k) || 0) * style.column; } }
      if (c < 0) { for (let k = c; k < 0; k++) { x -= (parts.get(k) || 0) * style.column; } }
      left.set(c, x);
    });
    const placed = new Map();
    byColumn.forEach(function (members, c) {
      const count = parts.get(c), rows = Math.ceil(members.length / count);
      members.forEach(function (at, i) {
        placed.set("n" + at, {x: left.get(c) + (i % count) * style.column,
          y: Math.round((Math.floor(i / count) - (rows - 1) / 2) * style.row)});
      });
    });
    return {members: shown, placed: placed, shapes: shown.map(function (at) { return {node: at}; })};
  }

  function compareNames(a, b) {
    return nodes[a].name < nodes[b].name ? -1 : nodes[a].name > nodes[b].name ? 1 : a - b;
  }

  // The whole graph: a group's unfolded members stand in a column where the group stood, what is left of
  // it below them, and what stood below it is pushed down, so nothing is drawn over anything else.
  function wholeView() {
    const shapes = [], members = [], byGroup = new Map();
    nodes.forEach(function (node) {
      if (!passes(node)) { return; }
      members.push(node.index);
      if (node.group < 0) { shapes.push({node: node.index}); return; }
      if (!byGroup.has(node.group)) { byGroup.set(node.group, []); }
      byGroup.get(node.group).push(node.index);
    });
    const stacks = new Map();  // x -> what stands in that column, top to bottom once sorted
    const stack = function (x, y, entry) {
      if (!stacks.has(x)) { stacks.set(x, []); }
      entry.y = y;
      stacks.get(x).push(entry);
    };
    shapes.forEach(function (shape) { stack(nodes[shape.node].x || 0, nodes[shape.node].y || 0, {shape: shape}); });
    byGroup.forEach(function (list, group) {
      const open = state.opened.get(group) || 0;
      if (open) { list.sort(compareNames); }
      const apart = list.slice(0, open);
      const rest = list.length > open ? {group: group, members: list.slice(open), opened: apart.length} : null;
      apart.forEach(function (at) { shapes.push({node: at}); });
      if (rest) { shapes.push(rest); }
      stack(groups[group].x, groups[group].y, {apart: apart, rest: rest});
    });
    const placed = new Map();
    stacks.forEach(function (standing, x) {
      standing.sort(function (a, b) { return a.y - b.y; });
      let shift = 0;
      standing.forEach(function (entry) {
        const y = entry.y + shift;
        if (entry.shape) { placed.set(shapeKey(entry.shape), {x: x, y: y}); return; }
        entry.apart.forEach(function (at, i) { placed.set("n" + at, {x: x, y: y + i * style.row}); });
        if (entry.rest) { placed.set(shapeKey(entry.rest), {x: x, y: y + entry.apart.length * style.row}); }
        shift += (entry.apart.length + (entry.rest ? 1 : 0) - 1) * style.row;
      });
    });
    return {members: members, placed: placed, shapes: shapes};
  }

  function shapeKey(shape) { return shape.group !== undefined ? "g" + shape.group : "n" + shape.node; }

  function currentFocus() { return state.trail[state.trail.length - 1]; }

  // What is drawn, and the nodes the filters choose among (the whole graph, or what lies around the focus).
  function currentView() {
    const focus = currentFocus();
    if (focus === undefined) { return {view: wholeView(), scope: nodes}; }
    const walk = {down: reach(focus.node, true, focus.depth), up: reach(focus.node, false, focus.depth)};
    const around = new Set([...walk.down.keys(), ...walk.up.keys()]);
    return {view: focusView(focus.node, walk), scope: [...around].map(function (at) { return nodes[at]; })};
  }

  // ---- drawing ----------------------------------------------------------------------------------

  // Long names differ at their ends (paths under one bucket, tables of one prefix): both ends are kept.
  function short(text) { return text.length <= 40 ? text : text.slice(0, 17) + "…" + text.slice(-22); }

  function plural(count, noun) { return count + " " + noun + (count === 1 ? "" : "s"); }

  function tooltip(node) {
    const lines = [node.name, node.kind + " · " + node.stage + (node.observed ? "" : " · not scanned"), node.id];
    if (node.account || node.region) { lines.push("account " + (node.account || "?") + " · region " + (node.region || "?")); }
    if (node.personal.length) { lines.push("personal data: " + node.personal.join(", ")); }
    if (node.handling) { lines.push("personal data " + node.handling); }
    node.findings.slice(0, 6).forEach(function (f) { lines.push("[" + findings[f].severity + "] " + findings[f].message); });
    if (node.findings.length > 6) { lines.push("… " + (node.findings.length - 6) + " more findings"); }
    return lines.join("\n");
  }

  function nodeShape(node, where) {
    const colour = style.stages[node.stage] || "#868e96";
    const worst = node.severity >= 0 ? style.severities[node.severity] : null;
    return {
      id: "n" + node.index, nodeId: node.id, x: where.x, y: where.y, label: short(node.name), title: tooltip(node),
      shape: style.shapes[node.service] || "dot", size: 14,
      color: {background: colour, border: worst ? style.severity_colours[worst] : colour},
      borderWidth: worst ? 4 : 1, opacity: node.observed ? 1 : 0.5,
      shadow: node.personal.length ? {enabled: true, color: style.personal, size: 16, x: 0, y: 0} : false,
      font: {color: "#212529"},
    };
  }

  function groupShape(shape, where) {
    const group = groups[shape.group];
    let worst = -1, personal = false;
    shape.members.forEach(function (at) { worst = Math.max(worst, nodes[at].severity); personal = personal || nodes[at].personal.length > 0; });
    const colour = style.stages[group.stage] || "#868e96";
    const passing = shape.members.length + shape.opened;
    const counted = shape.opened ? shape.members.length + " more of " + passing
      : passing === group.members.length ? String(passing) : passing + " of " + group.members.length;
    const noun = group.kind === "bucket" ? "bucket and paths" : group.kind === "database" ? "database and tables" : "similar";
    const next = Math.min(UNFOLD_STEP, shape.members.length);
    return {
      id: "g" + group.index, groupId: group.id, x: where.x, y: where.y,
      label: short(group.label) + "\n" + counted + " · " + noun,
      title: group.label + "\n" + counted + " nodes (" + noun + ") — click to unfold " +
        (next === shape.members.length ? "them" : "the next " + next),
      shape: style.shapes[group.node_kind.split(".")[0]] || "dot", size: 14 + Math.min(10, 2 * Math.log2(group.members.length)),
      color: {background: colour, border: worst >= 0 ? style.severity_colours[style.severities[worst]] : "#343a40"},
      borderWidth: worst >= 0 ? 4 : 2, shapeProperties: {borderDashes: [5, 4]},
      shadow: personal ? {enabled: true, color: style.personal, size: 16, x: 0, y: 0} : false,
      font: {color: "#212529", size: 18},  // still legible when the whole graph is in view
    };
  }

  function betweenAccounts(edge) { return "account " + edge.accounts[0] + " → account " + edge.accounts[1]; }

  function edgeShapes(view) {
    const at = new Map();  // node -> the shape it is drawn in
    view.shapes.forEach(function (shape) {
      if (shape.group !== undefined) { shape.members.forEach(function (member) { at.set(member, "g" + shape.group); }); }
      else { at.set(shape.node, "n" + shape.node); }
    });
    view.members.forEach(function (member) { if (!at.has(member)) { at.set(member, "n" + member); } });
    const drawn = new Map();
    edges.forEach(function (edge, index) {
      if (edge.kind === "part_of" && !state.structure) { return; }
      if (state.crossingOnly && !edge.cross) { return; }
      const from = at.get(edge.s), to = at.get(edge.t);
      if (from === undefined || to === undefined || from === to) { return; }
      const key = from + ">" + to + ">" + edge.kind;
      if (drawn.has(key)) { drawn.get(key).edges.push(index); return; }
      drawn.set(key, {from: from, to: to, kind: edge.kind, flow: edge.flow, edges: [index]});
    });
    return [...drawn.values()].map(function (e, index) {
      const first = edges[e.edges[0]];
      const label = e.edges.length > 1 ? e.kind + " ×" + e.edges.length : e.kind;
      // Between groups, one line stands for many edges: it is drawn as crossing when any of them crosses.
      const crossed = [...new Set(e.edges.filter(function (i) { return edges[i].cross; }).map(function (i) {
        return betweenAccounts(edges[i]);
      }))];
      return {
        // A flow of unknown direction: arrows at both ends, dotted. A flow between accounts: long dashes, coloured.
        id: "e" + index, from: e.from, to: e.to, label: label, edges: e.edges, crossesAccounts: crossed.length > 0,
        arrows: EITHER_WAY.has(e.kind) ? "to, from" : e.flow ? "to" : "",
        dashes: EITHER_WAY.has(e.kind) ? [2, 4] : crossed.length ? [10, 5] : !e.flow,
        color: crossed.length ? style.cross_account : e.flow ? "#495057" : "#adb5bd",
        width: crossed.length ? 2 : 1,
        title: label + crossed.map(function (text) { return "\n" + text; }).join("") +
          (e.edges.length > 1 ? "\nthe first of them (click for all):" : "") +
          (EITHER_WAY.has(e.kind) ? "\ndirection unknown: data may move either way" : "") +
          first.evidence.map(function (v) { return "\n" + v.operation + " " + v.path + ": " + v.excerpt; }).join(""),
      };
    });
  }

  const visNodes = new vis.DataSet(), visEdges = new vis.DataSet();
  const network = new vis.Network(document.getElementById("graph"), {nodes: visNodes, edges: visEdges}, {
    // Positions come with the data (left to right, as the data flows): nothing moves on open.
    layout: {improvedLayout: false},
    // Nor on a change: without this, every redraw fits the whole graph and loses the reader's place.
    physics: {enabled: false, stabilization: {enabled: false, fit: false}},
    edges: {font: {size: 9, align: "middle"}, smooth: false},
    interaction: {hover: true, tooltipDelay: 150, hideEdgesOnDrag: true},
  });
  window.lineageNetwork = network;

  // `fit`: the whole of what is drawn in view; otherwise the view stays where the reader left it.
  function draw(fit) {
    const where = fit ? null : {position: network.getViewPosition(), scale: network.getScale()};
    state.ends = flowEnds();
    const {view, scope} = currentView();
    const shapes = view.shapes.map(function (shape) {
      const where = view.placed.get(shapeKey(shape)) || {x: 0, y: 0};
      return shape.group !== undefined ? groupShape(shape, where) : nodeShape(nodes[shape.node], where);
    });
    visEdges.clear();
    visNodes.clear();
    visNodes.add(shapes);
    visEdges.add(edgeShapes(view));
    describeView(view, shapes.length, scope);
    listFindings(scope);
    if (fit) { network.fit({animation: false}); } else { network.moveTo({position: where.position, scale: where.scale}); }
  }

  // ---- the side: what is shown, the breadcrumb, filters, legend, findings ----------------------

  function element(tag, text, className) {
    const made = document.createElement(tag);
    if (text !== undefined && text !== null) { made.textContent = text; }
    if (className) { made.className = className; }
    return made;
  }

  function button(text, action, className) {
    const made = element("button", text, className || "link");
    made.type = "button";
    made.addEventListener("click", action);
    return made;
  }

  function describeView(view, shapeCount, scope) {
    document.getElementById("shown").textContent = view.members.length + " of " + scope.length + " nodes" +
      (shapeCount !== view.members.length ? " in " + shapeCount + " shapes" : "");
    const trail = document.getElementById("trail");
    trail.replaceChildren();
    trail.appendChild(state.trail.length ? button("Whole graph", function () { backTo(0); })
      : element("span", "Whole graph", "here"));
    state.trail.forEach(function (focus, position) {
      trail.appendChild(element("span", " › "));
      const label = nodes[focus.node].name + " (" + focus.depth + " " + (focus.depth === 1 ? "flow" : "flows") + " around)";
      trail.appendChild(position === state.trail.length - 1 ? element("span", label, "here")
        : button(label, function () { backTo(position + 1); }));
    });
    updateFilterCounts(scope);
  }

  // Back along the breadcrumb: the first `kept` focuses stay, each with the depth it had.
  function backTo(kept) {
    state.trail = state.trail.slice(0, kept);
    if (kept) { state.depth = state.trail[kept - 1].depth; depthInput.value = String(state.depth); }
    draw(true);
  }

  const filterInputs = [];

  function buildFilters() {
    const filters = document.getElementById("filters");
    FACETS.forEach(function (facet) {
      const values = [...new Set(nodes.map(function (node) { return node[facet]; }))].sort();
      const section = element("div", null, "facet");
      section.appendChild(element("b", facet));
      const boxes = [];
      // Of many accounts, one is read alone: every account unticked at once, then the one ticked.
      if (facet === "account" && ACCOUNTS.length > 1) {
        const every = function (on) {
          return function () {
            boxes.forEach(function (box) { box.checked = on; });
            values.forEach(function (value) { if (on) { state.excluded.account.delete(value); } else { state.excluded.account.add(value); } });
            draw(true);
          };
        };
        section.appendChild(document.createTextNode(" "));
        section.appendChild(button("all", every(true), "link choose-all"));
        section.appendChild(document.createTextNode(" · "));
        section.appendChild(button("none", every(false), "link choose-none"));
      }
      values.forEach(function (value) {
        const label = element("label");
        const checkbox = element("input");
        boxes.push(checkbox);
        checkbox.type = "checkbox";
        checkbox.checked = true;
        checkbox.dataset.facet = facet;
        checkbox.dataset.value = value;
        checkbox.addEventListener("change", function () {
          if (checkbox.checked) { state.excluded[facet].delete(value); } else { state.excluded[facet].add(value); }
          draw(true);
        });
        label.appendChild(checkbox);
        label.appendChild(document.createTextNode(" " + (value || "(none)") + " "));
        const count = element("span", "", "count");
        label.appendChild(count);
        section.appendChild(label);
        filterInputs.push({key: facet + "\u0000" + value, count: count});
      });
      filters.appendChild(section);
    });
    const others = element("div", null, "facet");
    others.appendChild(element("b", "only"));
    const flag = function (name, text, checked, action) {
      const label = element("label");
      const input = element("input");
      input.type = "checkbox";
      input.id = name;
      input.checked = checked;
      input.addEventListener("change", function () { action(input.checked); draw(true); });
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + text + " "));
      const count = element("span", "", "count");
      label.appendChild(count);
      others.appendChild(label);
      filterInputs.push({key: name, count: count});
    };
    flag("personal-only", "personal data", state.personalOnly, function (on) { state.personalOnly = on; });
    flag("observed-only", "observed (read from AWS)", false, function (on) { state.observedOnly = on; });
    if (ACCOUNTS.length > 1) {
      flag("cross-account-only", "flows between accounts", false, function (on) { state.crossingOnly = on; });
    }
    const severity = element("label");
    severity.appendChild(document.createTextNode("findings "));
    const severityChoice = element("select");
    severityChoice.id = "severity";
    severityChoice.appendChild(new Option("any or none", "-1"));
    style.severities.forEach(function (name, rank) { severityChoice.appendChild(new Option(name + " and above", String(rank))); });
    severityChoice.addEventListener("change", function () { state.minimumSeverity = Number(severityChoice.value); draw(true); });
    severity.appendChild(severityChoice);
    const severityCount = element("span", "", "count");
    severity.appendChild(severityCount);
    others.appendChild(severity);
    filterInputs.push({key: "severity", count: severityCount});
    const structure = element("label");
    const structureBox = element("input");
    structureBox.type = "checkbox";
    structureBox.id = "structure";
    structureBox.addEventListener("change", function () { state.structure = structureBox.checked; draw(false); });
    structure.appendChild(structureBox);
    structure.appendChild(document.createTextNode(" show structure (part of)"));
    others.appendChild(structure);
    filters.appendChild(others);
  }

  // Each count is what its choice would show, given every other filter: the numbers move together. One
  // pass: a node failing no filter counts for each of its values; failing one facet, for its value there.
  function updateFilterCounts(scope) {
    const counts = new Map();
    const add = function (key) { counts.set(key, (counts.get(key) || 0) + 1); };
    scope.forEach(function (node) {
      const failed = failures(node);
      if (!failed.length || state.ends.has(node.index)) {  // shown: in its own right, or as a flow's end
        FACETS.forEach(function (facet) { add(facet + "\u0000" + node[facet]); });
        if (node.personal.length) { add("personal-only"); }
        if (node.observed) { add("observed-only"); }
        if (node.crossing) { add("cross-account-only"); }
        if (node.severity >= Math.max(0, state.minimumSeverity)) { add("severity"); }
      } else if (failed.length === 1 && FACETS.includes(failed[0])) {
        add(failed[0] + "\u0000" + node[failed[0]]);
      }
    });
    filterInputs.forEach(function (entry) { entry.count.textContent = "(" + (counts.get(entry.key) || 0) + ")"; });
  }

  function buildLegend() {
    const legend = document.getElementById("legend");
    const line = function (swatch, text) {
      const row = element("div");
      if (swatch) { row.appendChild(swatch); }
      row.appendChild(document.createTextNode(text));
      legend.appendChild(row);
    };
    const counts = {};
    nodes.forEach(function (node) { counts[node.stage] = (counts[node.stage] || 0) + 1; });
    Object.keys(style.stages).forEach(function (stage) {
      const swatch = element("i", null, "swatch");
      swatch.style.background = style.stages[stage];
      line(swatch, stage + " (" + (counts[stage] || 0) + ")");
    });
    line(null, "columns run left to right as the data flows");
    line(null, "shape by service: " + Object.keys(style.shapes).map(function (s) { return s + " " + style.shapes[s]; }).join(" · ") + " · other dot");
    style.severities.slice().reverse().forEach(function (name) {
      const ring = element("i", null, "ring");
      ring.style.borderColor = style.severity_colours[name];
      line(ring, "border: worst finding " + name);
    });
    const glow = element("i", null, "swatch");
    glow.style.boxShadow = "0 0 6px 3px " + style.personal;
    line(glow, "glow: holds or receives personal data");
    line(null, "faded: referenced, not scanned · dashed outline: a group (click to unfold) · dashed line: the same data or structure");
    if (ACCOUNTS.length > 1) {
      const crossing = element("i", null, "dash");
      crossing.style.borderTopColor = style.cross_account;
      line(crossing, "long dashes: a flow between accounts (" + edges.filter(function (e) { return e.cross; }).length + ")");
      const inAccount = {};
      nodes.forEach(function (node) { inAccount[node.account] = (inAccount[node.account] || 0) + 1; });
      const list = element("div", null, "accounts");
      list.id = "legend-accounts";
      list.appendChild(element("div", plural(ACCOUNTS.length, "account") + ":"));
      ACCOUNTS.forEach(function (account) { list.appendChild(element("div", account + " (" + plural(inAccount[account], "node") + ")")); });
      if (inAccount[""]) { list.appendChild(element("div", "account unknown (" + plural(inAccount[""], "node") + ")", "muted")); }
      legend.appendChild(list);
    }
  }

  const FINDINGS_LISTED = 300;

  function listFindings(scopeList) {
    const list = document.getElementById("findings");
    list.replaceChildren();
    const scope = new Set(scopeList.map(function (node) { return node.index; }));
    const chosen = findings.map(function (f, index) { return index; }).filter(function (index) {
      const at = findings[index].node;
      return at >= 0 && scope.has(at) && passes(nodes[at]) && findings[index].rank >= state.minimumSeverity;
    }).sort(function (a, b) { return findings[b].rank - findings[a].rank || a - b; });
    document.getElementById("findings-count").textContent = chosen.length === findings.length ? String(findings.length)
      : chosen.length + " of " + findings.length;
    chosen.slice(0, FINDINGS_LISTED).forEach(function (index) {
      const f = findings[index];
      const item = element("div", "[" + f.severity + "] " + f.rule + ": " + f.message, "finding sev-" + f.severity);
      item.addEventListener("click", function () { focusOn(f.node); });
      list.appendChild(item);
    });
    if (chosen.length > FINDINGS_LISTED) {
      list.appendChild(element("div", (chosen.length - FINDINGS_LISTED) + " more; narrow them with the filters", "muted"));
    }
    if (!chosen.length) { list.appendChild(element("div", "none among the nodes shown", "muted")); }
  }

  // ---- focus, search, panels -------------------------------------------------------------------

  function focusOn(at) {
    const focus = currentFocus();
    if (focus === undefined || focus.node !== at) { state.trail.push({node: at, depth: state.depth}); }
    draw(true);
    network.selectNodes(["n" + at]);
    showNode(at);
  }

  // Unfolds the node's group as far as the node, in the order the group unfolds (by name).
  function unfoldFor(at) {
    const group = nodes[at].group;
    if (group < 0) { return; }
    const place = groups[group].members.filter(function (m) { return passes(nodes[m]); }).sort(compareNames).indexOf(at);
    if (place >= (state.opened.get(group) || 0)) {
      state.opened.set(group, Math.ceil((place + 1) / UNFOLD_STEP) * UNFOLD_STEP);
      draw(false);
    }
  }

  const panel = document.getElementById("panel");

  function section(title) { panel.appendChild(element("h4", title)); }

  function nodeLink(at, suffix) {
    const item = element("li");
    item.appendChild(button(nodes[at].name, function () { select(at); }));
    if (suffix) { item.appendChild(document.createTextNode(suffix)); }
    return item;
  }

  function evidenceLines(target, evidence) {
    evidence.forEach(function (v) {
      target.appendChild(element("div", v.operation + " " + v.resource + (v.path ? " · " + v.path : "") +
        (v.excerpt ? ": " + v.excerpt : "") + (v.dynamic ? " (known only at run time)" : ""), "evidence"));
    });
  }

  function showNode(at) {
    const node = nodes[at];
    panel.replaceChildren();
    panel.appendChild(element("h3", node.name));
    panel.appendChild(element("div", node.kind + " · " + node.stage + (node.observed ? "" : " · referenced, not scanned"), "muted"));
    const arn = element("div", null, "arn");
    const field = element("input");
    field.readOnly = true;
    field.value = node.id;
    field.setAttribute("aria-label", "ARN");
    arn.appendChild(field);
    arn.appendChild(button("Copy", function () {
      field.select();
      const done = function () { copied.textContent = "copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(node.id).then(done, function () { document.execCommand("copy"); done(); });
      } else { document.execCommand("copy"); done(); }
    }, ""));
    panel.appendChild(arn);
    const copied = element("div", "", "muted");
    panel.appendChild(copied);
    panel.appendChild(element("div", "account " + (node.account || "?") + " · region " + (node.region || "?")));
    const actions = element("div", null, "actions");
    actions.appendChild(button("Focus here", function () { focusOn(at); }, "action"));
    if (node.group >= 0 && state.opened.has(node.group) && currentFocus() === undefined) {
      actions.appendChild(button("Fold its group (" + groups[node.group].label + ")", function () {
        state.opened.delete(node.group); draw(false); showGroup(node.group);
      }, "action"));
    }
    panel.appendChild(actions);
    if (node.personal.length || node.labels.length || node.handling) {
      section("Personal data");
      if (node.personal.length) { panel.appendChild(element("div", "categories: " + node.personal.join(", "))); }
      node.labels.forEach(function (label) { panel.appendChild(element("div", "declared here: " + label, "fact")); });
      if (node.handling) { panel.appendChild(element("div", "handled here: " + node.handling)); }
      const elsewhere = node.origins.filter(function (origin) { return origin !== at; });
      if (elsewhere.length) {
        panel.appendChild(element("div", "comes from:"));
        const list = element("ul", null, "plain");
        elsewhere.forEach(function (origin) { list.appendChild(nodeLink(origin)); });
        panel.appendChild(list);
      }
    }
    section("Findings (" + node.findings.length + ")");
    node.findings.forEach(function (f) {
      const finding = findings[f];
      const item = element("div", null, "finding sev-" + finding.severity);
      item.appendChild(element("div", "[" + finding.severity + "] " + finding.rule + ": " + finding.message));
      item.appendChild(element("div", "Fix: " + finding.remediation, "remediation"));
      evidenceLines(item, finding.evidence);
      panel.appendChild(item);
    });
    const flows = function (title, list, other) {
      section(title + " (" + list.length + ")");
      const shown = element("ul", null, "plain");
      list.forEach(function (e) {
        const edge = edges[e];
        const item = nodeLink(other(edge), " — " + edge.kind + (edge.cross ? " · " + betweenAccounts(edge) : ""));
        evidenceLines(item, edge.evidence);
        if (edge.more_evidence) { item.appendChild(element("div", "and " + edge.more_evidence + " more in the export", "evidence")); }
        shown.appendChild(item);
      });
      panel.appendChild(shown);
    };
    const oneWay = function (e) { return !edges[e].both; };
    flows("Data comes from", node.flowsIn.filter(oneWay), function (edge) { return edge.s; });
    flows("Data goes to", node.flowsOut.filter(oneWay), function (edge) { return edge.t; });
    const eitherWay = node.flowsOut.filter(function (e) { return edges[e].both; });
    if (eitherWay.length) {
      flows("Named in configuration, direction unknown", eitherWay, function (edge) { return across(edge, node.index, true); });
    }
    const same = node.eq.concat(node.up);
    if (same.length) {
      section("The same data, elsewhere named");
      const list = element("ul", null, "plain");
      same.forEach(function (other) { list.appendChild(nodeLink(other)); });
      panel.appendChild(list);
    }
    // A bucket's own flows may be none while its paths' are many: what a focus on it follows.
    if (node.down.length) {
      section("Paths inside it (" + node.down.length + ")");
      const list = element("ul", null, "plain");
      node.down.slice(0, 100).forEach(function (other) {
        const flows = nodes[other].flowsIn.length + nodes[other].flowsOut.length;
        list.appendChild(nodeLink(other, flows ? " — " + plural(flows, "flow") : ""));
      });
      panel.appendChild(list);
      if (node.down.length > 100) { panel.appendChild(element("div", (node.down.length - 100) + " more: find them by name", "muted")); }
    }
    section("Facts");
    node.facts.forEach(function ([key, value]) {
      const row = element("div", null, "fact");
      row.appendChild(element("b", key + ": "));
      row.appendChild(document.createTextNode(value));
      panel.appendChild(row);
    });
  }

  function unfold(index) {
    state.opened.set(index, (state.opened.get(index) || 0) + UNFOLD_STEP);
    draw(false);
    showGroup(index);
  }

  function showGroup(index) {
    const group = groups[index];
    panel.replaceChildren();
    panel.appendChild(element("h3", group.label));
    const opened = Math.min(state.opened.get(index) || 0, group.members.length);
    const actions = element("div", null, "actions");
    panel.appendChild(element("div", group.members.length + " nodes · " + group.kind +
      (opened ? " · " + opened + " unfolded" : ""), "muted"));
    if (opened < group.members.length) {
      actions.appendChild(button(opened ? "Unfold more" : "Unfold", function () { unfold(index); }, "action"));
    }
    if (opened) {
      actions.appendChild(button("Fold", function () { state.opened.delete(index); draw(false); showGroup(index); }, "action"));
    }
    panel.appendChild(actions);
    section("Members");
    const list = element("ul", null, "plain");
    group.members.slice(0, 200).forEach(function (at) {
      list.appendChild(nodeLink(at, nodes[at].findings.length ? " — " + plural(nodes[at].findings.length, "finding") : ""));
    });
    panel.appendChild(list);
    if (group.members.length > 200) { panel.appendChild(element("div", (group.members.length - 200) + " more: find them by name", "muted")); }
  }

  // Choosing a node from a panel: show it where it is, unfolding its group if need be.
  // Around a focus, a node not drawn becomes the next focus; the whole graph is not unfolded behind it.
  function select(at) {
    if (currentFocus() === undefined) { unfoldFor(at); }
    if (!visNodes.get("n" + at)) { focusOn(at); return; }
    network.selectNodes(["n" + at]);
    network.focus("n" + at, {scale: Math.max(network.getScale(), 0.8), animation: false});
    showNode(at);
  }

  // An edge drawn between groups stands for every flow between their members: each is listed.
  function showEdges(drawnEdge) {
    panel.replaceChildren();
    const listed = drawnEdge.edges.slice(0, 100);
    panel.appendChild(element("h3", drawnEdge.label));
    section(drawnEdge.edges.length === 1 ? "Evidence" : drawnEdge.edges.length + " edges" +
      (listed.length < drawnEdge.edges.length ? ", the first " + listed.length : ""));
    const list = element("ul", null, "plain");
    listed.forEach(function (e) {
      const edge = edges[e];
      const item = element("li");
      item.appendChild(button(nodes[edge.s].name, function () { select(edge.s); }));
      item.appendChild(document.createTextNode(" → " + edge.kind + " → "));
      item.appendChild(button(nodes[edge.t].name, function () { select(edge.t); }));
      if (edge.cross) { item.appendChild(element("div", betweenAccounts(edge), "crossing")); }
      evidenceLines(item, edge.evidence);
      if (edge.more_evidence) { item.appendChild(element("div", "and " + edge.more_evidence + " more in the export", "evidence")); }
      list.appendChild(item);
    });
    panel.appendChild(list);
  }

  network.on("click", function (params) {
    if (!params.nodes.length && params.edges.length) { showEdges(visEdges.get(params.edges[0])); return; }
    if (!params.nodes.length) { return; }
    const id = String(params.nodes[0]);
    if (id[0] === "g") {
      unfold(Number(id.slice(1)));
    } else {
      showNode(Number(id.slice(1)));
    }
  });

  const search = document.getElementById("search");
  const suggestions = document.getElementById("suggestions");
  let suggested = [], active = 0;

  const SUGGESTED = 12;

  // A name or ARN typed whole first, then names that start so, names that hold it, ARNs that hold it;
  // shorter names first. Only the best are kept, so a short query over many nodes sorts a dozen.
  function suggest() {
    const query = search.value.trim().toLowerCase();
    suggestions.replaceChildren();
    suggested = [];
    active = 0;
    if (!query) { search.removeAttribute("aria-activedescendant"); return; }
    const best = [];
    let matching = 0;
    const before = function (a, b) { return a[0] - b[0] || a[1] - b[1] || compareNames(a[2], b[2]); };
    nodes.forEach(function (node) {
      const score = node.lowerName === query || node.lowerId === query ? 0 : node.lowerName.startsWith(query) ? 1
        : node.lowerName.includes(query) ? 2 : node.lowerId.includes(query) ? 3 : -1;
      if (score < 0) { return; }
      matching++;
      const item = [score, node.name.length, node.index];
      if (best.length === SUGGESTED && before(item, best[SUGGESTED - 1]) >= 0) { return; }
      let place = best.length;
      while (place > 0 && before(item, best[place - 1]) < 0) { place--; }
      best.splice(place, 0, item);
      if (best.length > SUGGESTED) { best.pop(); }
    });
    suggested = best.map(function (item) { return item[2]; });
    suggested.forEach(function (at, position) {
      const item = element("li", nodes[at].name + " · " + nodes[at].kind + (nodes[at].account ? " · " + nodes[at].account : ""));
      item.title = nodes[at].id;
      item.id = "suggestion-" + position;
      item.setAttribute("role", "option");
      item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(at); });
      suggestions.appendChild(item);
    });
    if (matching > suggested.length) {
      suggestions.appendChild(element("li", (matching - suggested.length) + " more: type more of the name", "muted"));
    }
    markActive();
  }

  function markActive() {
    suggested.forEach(function (at, position) {
      const item = document.getElementById("suggestion-" + position);
      item.className = position === active ? "active" : "";
      item.setAttribute("aria-selected", String(position === active));
      if (position === active) { item.scrollIntoView({block: "nearest"}); }
    });
    search.setAttribute("aria-activedescendant", "suggestion-" + active);
  }

  function closeSuggestions() {
    suggestions.replaceChildren();
    suggested = [];
    search.removeAttribute("aria-activedescendant");
  }

  function choose(at) {
    search.value = nodes[at].name;
    closeSuggestions();
    focusOn(at);
  }

  search.addEventListener("input", suggest);
  search.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeSuggestions(); return; }
    if (!suggested.length) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      active = (active + (event.key === "ArrowDown" ? 1 : suggested.length - 1)) % suggested.length;
      markActive();
      event.preventDefault();
    } else if (event.key === "Enter") {
      choose(suggested[active]);
      event.preventDefault();
    }
  });
  search.addEventListener("blur", closeSuggestions);

  const depthInput = document.getElementById("depth");
  const MAX_DEPTH = Number(depthInput.max);
  depthInput.value = String(state.depth);
  depthInput.addEventListener("change", function () {
    const typed = Math.round(Number(depthInput.value));
    if (depthInput.value.trim() === "" || !(typed >= 1)) { return; }  // still being typed, or not a depth
    const depth = Math.min(MAX_DEPTH, typed);
    if (depth !== typed) { depthInput.value = String(depth); }
    state.depth = depth;
    const focus = currentFocus();
    if (focus !== undefined) { focus.depth = depth; draw(true); }
  });

  buildFilters();
  buildLegend();
  if (data.initial.focus !== null && data.initial.focus !== undefined) {
    state.trail.push({node: data.initial.focus, depth: state.depth});
  }
  draw(false);
  if (state.trail.length) { showNode(state.trail[0].node); network.selectNodes(["n" + state.trail[0].node]); }
  window.lineagePage = {reach: reach};  // the page's walk, for a console or a test to compare with lineage show
  // The whole lineage in view on open, once the canvas has its size.
  network.once("afterDrawing", function () { network.fit({animation: false}); window.lineageReady = true; });
}());
