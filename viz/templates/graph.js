(function () {
  "use strict";
  // Everything shown comes from this one data element and reaches the screen as text only:
  // textContent in the panels, labels drawn on the canvas, tooltips given to vis-network as strings.
  const data = JSON.parse(document.getElementById("lineage-data").textContent);
  const style = data.style;
  const nodes = data.nodes, edges = data.edges, findings = data.findings, groups = data.groups;
  const FACETS = ["stage", "service", "account", "region"];
  const ANY = 0, UP = 1, DOWN = 2;  // how a walk last moved through S3 containment (as Graph.reach)

  const UNSAID = {personal: [], origins: [], labels: [], handling: "", facts: [], eq: [], up: [], down: [],
    group: -1, severity: -1, findings: []};
  const FLOWS = new Set(data.flows);
  nodes.forEach(function (node, index) {
    for (const key in UNSAID) { if (!(key in node)) { node[key] = UNSAID[key]; } }
    node.index = index;
    node.service = node.kind.split(".")[0];
    node.searchable = (node.name + "\n" + node.id).toLowerCase();
    node.flowsOut = [];
    node.flowsIn = [];
  });
  edges.forEach(function (edge, index) {
    edge.flow = FLOWS.has(edge.kind);
    edge.evidence = edge.evidence || [];
    edge.more_evidence = edge.more_evidence || 0;
    if (edge.flow) { nodes[edge.s].flowsOut.push(index); nodes[edge.t].flowsIn.push(index); }
  });
  groups.forEach(function (group, index) { group.index = index; });

  const state = {
    collapsed: new Set(groups.map(function (group) { return group.index; })),
    trail: [],  // the focused nodes, in the order they were chosen: the breadcrumb
    depth: data.initial.depth,
    excluded: {stage: new Set(), service: new Set(), account: new Set(), region: new Set()},
    personalOnly: data.initial.personal_only,
    minimumSeverity: -1,
    observedOnly: false,
    structure: false,
  };

  // ---- what is shown --------------------------------------------------------------------------

  function passes(node, except) {
    for (const facet of FACETS) {
      if (facet !== except && state.excluded[facet].has(node[facet])) { return false; }
    }
    if (except !== "personal" && state.personalOnly && !node.personal.length) { return false; }
    if (except !== "severity" && node.severity < state.minimumSeverity) { return false; }
    if (except !== "observed" && state.observedOnly && !node.observed) { return false; }
    return true;
  }

  // The nodes `depth` flows from `start`, with their distance: the walk of Graph.reach, so the page and
  // `lineage lineage` agree. The same data (a table and its location, an S3 path and what holds it or
  // lies in it) costs nothing; containment is followed one way at a time; reached by going up from one
  // of its paths, a bucket passes data on only to what reads all of it.
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
          if (way === UP && at !== start && downstream && edge.kind !== "reads") { continue; }
          const other = downstream ? edge.t : edge.s;
          const key = other * 3 + ANY;
          if (!seen.has(key)) { seen.add(key); next.push([other, ANY]); }
        }
      });
      frontier = next;
    }
    return distance;
  }

  // Around a focused node: what feeds it to the left, what it feeds to the right, one column per flow.
  function focusView(centre, depth) {
    const down = reach(centre, true, depth), up = reach(centre, false, depth);
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
        const list = c >= 0 ? nodes[at].flowsIn.map(function (e) { return edges[e].s; })
          : nodes[at].flowsOut.map(function (e) { return edges[e].t; });
        const rows = list.filter(function (other) { return row.has(other); }).map(function (other) { return row.get(other); });
        return rows.length ? rows.reduce(function (a, b) { return a + b; }, 0) / rows.length : 0;
      };
      const key = new Map(members.map(function (at) { return [at, mean(at)]; }));
      members.sort(function (a, b) { return key.get(a) - key.get(b) || compareNames(a, b); });
      members.forEach(function (at, i) { row.set(at, i - (members.length - 1) / 2); });
    });
    const placed = new Map();
    shown.forEach(function (at) { placed.set("n" + at, {x: column.get(at) * style.column, y: Math.round(row.get(at) * style.row)}); });
    return {members: shown, placed: placed, shapes: shown.map(function (at) { return {node: at}; })};
  }

  function compareNames(a, b) {
    return nodes[a].name < nodes[b].name ? -1 : nodes[a].name > nodes[b].name ? 1 : a - b;
  }

  // The whole graph: groups folded or unfolded in place, each unfolded group's members in a column
  // where the group stood, pushing what stood below it down.
  function wholeView() {
    const shapes = new Map();  // "g3" or "n12" -> shape
    const members = [];
    nodes.forEach(function (node) {
      if (!passes(node)) { return; }
      members.push(node.index);
      const folded = node.group >= 0 && state.collapsed.has(node.group);
      const key = folded ? "g" + node.group : "n" + node.index;
      if (!shapes.has(key)) {
        shapes.set(key, folded ? {group: node.group, members: []} : {node: node.index});
      }
      if (folded) { shapes.get(key).members.push(node.index); }
    });
    const placed = new Map();
    const unfolded = new Map();  // group -> its shown members, in order
    nodes.forEach(function (node) {
      if (node.group >= 0 && !state.collapsed.has(node.group) && passes(node)) {
        if (!unfolded.has(node.group)) { unfolded.set(node.group, []); }
        unfolded.get(node.group).push(node.index);
      }
    });
    const columns = new Map();
    const stand = function (x, y, item) {
      if (!columns.has(x)) { columns.set(x, []); }
      columns.get(x).push({y: y, item: item});
    };
    shapes.forEach(function (shape) {
      if (shape.group !== undefined) { stand(groups[shape.group].x, groups[shape.group].y, shape); }
      else if (nodes[shape.node].group < 0) { stand(nodes[shape.node].x || 0, nodes[shape.node].y || 0, shape); }
      // a member of an unfolded group stands with its group, below
    });
    unfolded.forEach(function (list, group) {
      list.sort(compareNames);
      stand(groups[group].x, groups[group].y, {unfolded: group, members: list});
    });
    columns.forEach(function (standing, x) {
      standing.sort(function (a, b) { return a.y - b.y; });
      let shift = 0;
      standing.forEach(function (entry) {
        const y = entry.y + shift;
        if (entry.item.unfolded !== undefined) {
          entry.item.members.forEach(function (at, i) { placed.set("n" + at, {x: x, y: y + i * style.row}); });
          shift += (entry.item.members.length - 1) * style.row;
        } else {
          placed.set(shapeKey(entry.item), {x: x, y: y});
        }
      });
    });
    return {members: members, placed: placed, shapes: [...shapes.values()]};
  }

  function shapeKey(shape) { return shape.group !== undefined ? "g" + shape.group : "n" + shape.node; }

  function currentView() {
    const focus = state.trail[state.trail.length - 1];
    return focus === undefined ? wholeView() : focusView(focus, state.depth);
  }

  // ---- drawing ----------------------------------------------------------------------------------

  function short(text) { return text.length <= 40 ? text : text.slice(0, 37) + "…"; }

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
    const counted = shape.members.length === group.members.length ? String(group.members.length)
      : shape.members.length + " of " + group.members.length;
    const noun = group.kind === "bucket" ? "bucket and paths" : group.kind === "database" ? "database and tables" : "similar";
    return {
      id: "g" + group.index, groupId: group.id, x: where.x, y: where.y,
      label: short(group.label) + "\n" + counted + " · " + noun,
      title: group.label + "\n" + counted + " nodes (" + noun + ") — click to unfold",
      shape: style.shapes[group.node_kind.split(".")[0]] || "dot", size: 14 + Math.min(18, 3 * Math.log2(group.members.length)),
      color: {background: colour, border: worst >= 0 ? style.severity_colours[style.severities[worst]] : "#343a40"},
      borderWidth: worst >= 0 ? 4 : 2, shapeProperties: {borderDashes: [5, 4]},
      shadow: personal ? {enabled: true, color: style.personal, size: 16, x: 0, y: 0} : false,
      font: {color: "#212529", bold: true},
    };
  }

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
      const from = at.get(edge.s), to = at.get(edge.t);
      if (from === undefined || to === undefined || from === to) { return; }
      const key = from + ">" + to + ">" + edge.kind;
      if (drawn.has(key)) { drawn.get(key).edges.push(index); return; }
      drawn.set(key, {from: from, to: to, kind: edge.kind, flow: edge.flow, edges: [index]});
    });
    return [...drawn.values()].map(function (e, index) {
      const first = edges[e.edges[0]];
      const said = e.edges.length > 1 ? e.kind + " ×" + e.edges.length : e.kind;
      return {
        id: "e" + index, from: e.from, to: e.to, label: said, arrows: e.flow ? "to" : "", dashes: !e.flow, edges: e.edges,
        color: e.flow ? "#495057" : "#adb5bd",
        title: said + first.evidence.map(function (v) { return "\n" + v.operation + " " + v.path + ": " + v.excerpt; }).join(""),
      };
    });
  }

  const visNodes = new vis.DataSet(), visEdges = new vis.DataSet();
  const network = new vis.Network(document.getElementById("graph"), {nodes: visNodes, edges: visEdges}, {
    // Positions come with the data (left to right, as the data flows): nothing moves on open.
    layout: {improvedLayout: false},
    physics: false,
    edges: {font: {size: 9, align: "middle"}, smooth: false},
    interaction: {hover: true, tooltipDelay: 150, hideEdgesOnDrag: true},
  });
  window.lineageNetwork = network;

  function draw(fit) {
    const view = currentView();
    const scope = scopeNodes();
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
    if (fit) { network.fit({animation: false}); }
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
    const said = view.members.length + " of " + scope.length + " nodes" + (shapeCount !== view.members.length
      ? " in " + shapeCount + " shapes" : "");
    document.getElementById("shown").textContent = said;
    const trail = document.getElementById("trail");
    trail.replaceChildren();
    trail.appendChild(state.trail.length ? button("Whole graph", function () { state.trail = []; draw(true); })
      : element("span", "Whole graph", "here"));
    state.trail.forEach(function (at, position) {
      trail.appendChild(element("span", " › "));
      const label = nodes[at].name + " (" + state.depth + " " + (state.depth === 1 ? "flow" : "flows") + " around)";
      trail.appendChild(position === state.trail.length - 1 ? element("span", label, "here")
        : button(label, function () { state.trail = state.trail.slice(0, position + 1); draw(true); }));
    });
    updateFilterCounts(scope);
  }

  // The nodes the filters choose among: the whole graph, or what lies around the focused node.
  function scopeNodes() {
    const focus = state.trail[state.trail.length - 1];
    if (focus === undefined) { return nodes; }
    const around = new Set([...reach(focus, true, state.depth).keys(), ...reach(focus, false, state.depth).keys()]);
    return [...around].map(function (at) { return nodes[at]; });
  }

  const filterInputs = [];

  function buildFilters() {
    const box = document.getElementById("filters");
    FACETS.forEach(function (facet) {
      const values = [...new Set(nodes.map(function (node) { return node[facet]; }))].sort();
      const section = element("div", null, "facet");
      section.appendChild(element("b", facet));
      values.forEach(function (value) {
        const label = element("label");
        const box = element("input");
        box.type = "checkbox";
        box.checked = true;
        box.dataset.facet = facet;
        box.dataset.value = value;
        box.addEventListener("change", function () {
          if (box.checked) { state.excluded[facet].delete(value); } else { state.excluded[facet].add(value); }
          draw(true);
        });
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + (value || "(none)") + " "));
        const count = element("span", "", "count");
        label.appendChild(count);
        section.appendChild(label);
        filterInputs.push({facet: facet, value: value, count: count});
      });
      box.appendChild(section);
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
      filterInputs.push({facet: name, count: count});
    };
    flag("personal-only", "personal data", state.personalOnly, function (on) { state.personalOnly = on; });
    flag("observed-only", "observed (read from AWS)", false, function (on) { state.observedOnly = on; });
    const severity = element("label");
    severity.appendChild(document.createTextNode("findings "));
    const select = element("select");
    select.id = "severity";
    select.appendChild(new Option("any or none", "-1"));
    style.severities.forEach(function (name, rank) { select.appendChild(new Option(name + " and above", String(rank))); });
    select.addEventListener("change", function () { state.minimumSeverity = Number(select.value); draw(true); });
    severity.appendChild(select);
    const severityCount = element("span", "", "count");
    severity.appendChild(severityCount);
    others.appendChild(severity);
    filterInputs.push({facet: "severity", count: severityCount});
    const structure = element("label");
    const structureBox = element("input");
    structureBox.type = "checkbox";
    structureBox.id = "structure";
    structureBox.addEventListener("change", function () { state.structure = structureBox.checked; draw(false); });
    structure.appendChild(structureBox);
    structure.appendChild(document.createTextNode(" show structure (part of)"));
    others.appendChild(structure);
    box.appendChild(others);
  }

  // Each count is what its choice would show, given every other filter: the numbers move together.
  function updateFilterCounts(scope) {
    filterInputs.forEach(function (entry) {
      let count = 0;
      if (FACETS.includes(entry.facet)) {
        scope.forEach(function (node) { if (node[entry.facet] === entry.value && passes(node, entry.facet)) { count++; } });
      } else if (entry.facet === "personal-only") {
        scope.forEach(function (node) { if (node.personal.length && passes(node, "personal")) { count++; } });
      } else if (entry.facet === "observed-only") {
        scope.forEach(function (node) { if (node.observed && passes(node, "observed")) { count++; } });
      } else if (entry.facet === "severity") {
        scope.forEach(function (node) { if (node.severity >= Math.max(0, state.minimumSeverity) && passes(node, "severity")) { count++; } });
      }
      entry.count.textContent = "(" + count + ")";
    });
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
    if (state.trail[state.trail.length - 1] !== at) { state.trail.push(at); }
    draw(true);
    network.selectNodes(["n" + at]);
    showNode(at);
  }

  function unfoldFor(at) {
    const group = nodes[at].group;
    if (group >= 0 && state.collapsed.has(group)) { state.collapsed.delete(group); draw(false); }
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
    panel.hidden = false;
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
    const actions = element("div");
    actions.appendChild(button("Focus here", function () { focusOn(at); }, ""));
    if (node.group >= 0) {
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(button("Fold into " + groups[node.group].label, function () {
        state.collapsed.add(node.group); draw(false); showGroup(node.group);
      }, ""));
    }
    panel.appendChild(actions);
    if (node.personal.length || node.labels.length || node.handling) {
      section("Personal data");
      if (node.personal.length) { panel.appendChild(element("div", "categories: " + node.personal.join(", "))); }
      node.labels.forEach(function (label) { panel.appendChild(element("div", "declared here: " + label, "fact")); });
      if (node.handling) { panel.appendChild(element("div", "handled here: " + node.handling)); }
      if (node.origins.length) {
        panel.appendChild(element("div", "comes from:"));
        const list = element("ul", null, "plain");
        node.origins.forEach(function (origin) { list.appendChild(nodeLink(origin)); });
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
        const item = nodeLink(other(edge), " — " + edge.kind);
        evidenceLines(item, edge.evidence);
        if (edge.more_evidence) { item.appendChild(element("div", "and " + edge.more_evidence + " more in the export", "evidence")); }
        shown.appendChild(item);
      });
      panel.appendChild(shown);
    };
    flows("Data comes from", node.flowsIn, function (edge) { return edge.s; });
    flows("Data goes to", node.flowsOut, function (edge) { return edge.t; });
    const same = node.eq.concat(node.up);
    if (same.length) {
      section("The same data, elsewhere named");
      const list = element("ul", null, "plain");
      same.forEach(function (other) { list.appendChild(nodeLink(other)); });
      panel.appendChild(list);
    }
    section("Facts");
    node.facts.forEach(function ([key, value]) {
      const row = element("div", null, "fact");
      row.appendChild(element("b", key + ": "));
      row.appendChild(document.createTextNode(value));
      panel.appendChild(row);
    });
  }

  function showGroup(index) {
    const group = groups[index];
    panel.hidden = false;
    panel.replaceChildren();
    panel.appendChild(element("h3", group.label));
    panel.appendChild(element("div", group.members.length + " nodes · " + group.kind, "muted"));
    const folded = state.collapsed.has(index);
    panel.appendChild(button(folded ? "Unfold" : "Fold", function () {
      if (folded) { state.collapsed.delete(index); } else { state.collapsed.add(index); }
      draw(false); showGroup(index);
    }, ""));
    section("Members");
    const list = element("ul", null, "plain");
    group.members.slice(0, 200).forEach(function (at) {
      list.appendChild(nodeLink(at, nodes[at].findings.length ? " — " + nodes[at].findings.length + " findings" : ""));
    });
    panel.appendChild(list);
    if (group.members.length > 200) { panel.appendChild(element("div", (group.members.length - 200) + " more: find them by name", "muted")); }
  }

  // Choosing a node from a panel: show it where it is, unfolding its group if need be.
  function select(at) {
    unfoldFor(at);
    if (!visNodes.get("n" + at)) { focusOn(at); return; }
    network.selectNodes(["n" + at]);
    network.focus("n" + at, {scale: Math.max(network.getScale(), 0.8), animation: false});
    showNode(at);
  }

  // An edge drawn between groups stands for every flow between their members: each is listed.
  function showEdges(drawnEdge) {
    panel.hidden = false;
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
      const index = Number(id.slice(1));
      state.collapsed.delete(index);
      draw(false);
      showGroup(index);
    } else {
      showNode(Number(id.slice(1)));
    }
  });

  const search = document.getElementById("search");
  const suggestions = document.getElementById("suggestions");
  let suggested = [], active = 0;

  function suggest() {
    const query = search.value.trim().toLowerCase();
    suggestions.replaceChildren();
    suggested = [];
    active = 0;
    if (!query) { return; }
    const scored = [];
    nodes.forEach(function (node) {
      const name = node.name.toLowerCase();
      const score = name.startsWith(query) ? 0 : name.includes(query) ? 1 : node.searchable.includes(query) ? 2 : -1;
      if (score >= 0) { scored.push([score, name.length, node.index]); }
    });
    scored.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || compareNames(a[2], b[2]); });
    suggested = scored.slice(0, 12).map(function (item) { return item[2]; });
    suggested.forEach(function (at, position) {
      const item = element("li", nodes[at].name + " · " + nodes[at].kind + (nodes[at].account ? " · " + nodes[at].account : ""));
      item.title = nodes[at].id;
      item.setAttribute("role", "option");
      if (position === active) { item.className = "active"; }
      item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(at); });
      suggestions.appendChild(item);
    });
    if (scored.length > suggested.length) {
      suggestions.appendChild(element("li", (scored.length - suggested.length) + " more: type more of the name", "muted"));
    }
  }

  function choose(at) {
    search.value = nodes[at].name;
    suggestions.replaceChildren();
    suggested = [];
    focusOn(at);
  }

  search.addEventListener("input", suggest);
  search.addEventListener("keydown", function (event) {
    if (!suggested.length) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      active = (active + (event.key === "ArrowDown" ? 1 : suggested.length - 1)) % suggested.length;
      [...suggestions.children].forEach(function (item, position) { item.className = position === active ? "active" : item.className === "muted" ? "muted" : ""; });
      event.preventDefault();
    } else if (event.key === "Enter") {
      choose(suggested[active]);
      event.preventDefault();
    }
  });

  const depthInput = document.getElementById("depth");
  depthInput.value = String(state.depth);
  depthInput.addEventListener("change", function () {
    const depth = Math.round(Number(depthInput.value));
    if (depth >= 1) { state.depth = depth; draw(true); }
  });

  buildFilters();
  buildLegend();
  if (data.initial.focus !== null && data.initial.focus !== undefined) { state.trail.push(data.initial.focus); }
  draw(false);
  if (state.trail.length) { showNode(state.trail[0]); network.selectNodes(["n" + state.trail[0]]); }
  // The whole lineage in view on open, once the canvas has its size.
  network.once("afterDrawing", function () { network.fit({animation: false}); window.lineageReady = true; });
}());
