  var nodes = new vis.DataSet({{ nodes_json | safe }});
  var edges = new vis.DataSet({{ edges_json | safe }});
  var findings = {{ findings_json | safe }};
  var container = document.getElementById("graph");
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, {
    // Positions come with the nodes (left to right, as the data flows): nothing moves on open.
    layout: {improvedLayout: false},
    physics: false,
    edges: {font: {size: 9, align: "middle"}, smooth: false},
    interaction: {hover: true, tooltipDelay: 150}
  });
  // The whole lineage in view on open, once the canvas has its size.
  network.once("afterDrawing", function () { network.fit({animation: false}); });
  window.lineageNetwork = network;
  function show(id) {
    var node = nodes.get(id);
    if (!node) { return; }
    var text = node.title;
    var incoming = edges.get({filter: function (e) { return e.to === id; }});
    var outgoing = edges.get({filter: function (e) { return e.from === id; }});
    text += "\n\nfrom: " + incoming.map(function (e) { return nodes.get(e.from).label + " (" + e.label + ")"; }).join(", ");
    text += "\nto: " + outgoing.map(function (e) { return nodes.get(e.to).label + " (" + e.label + ")"; }).join(", ");
    document.getElementById("details").textContent = text;
  }
  network.on("click", function (params) { if (params.nodes.length) { show(params.nodes[0]); } });
  var list = document.getElementById("findings");
  findings.forEach(function (f) {
    var item = document.createElement("div");
    item.className = "finding sev-" + f.severity;
    item.textContent = "[" + f.severity + "] " + f.rule + ": " + f.message;
    item.addEventListener("click", function () { network.selectNodes([f.node]); network.focus(f.node, {scale: 1.2}); show(f.node); });
    list.appendChild(item);
  });
  document.getElementById("search").addEventListener("change", function (event) {
    var query = event.target.value.toLowerCase();
    var match = nodes.get({filter: function (n) { return n.id.toLowerCase().indexOf(query) >= 0 || String(n.label).toLowerCase().indexOf(query) >= 0; }});
    network.selectNodes(match.map(function (n) { return n.id; }));
    if (match.length) { network.focus(match[0].id, {scale: 1.2}); show(match[0].id); }
  });
