// The report's drawing and linking, written for this page (no library): the who-met-whom network (a
// force-directed layout, deterministic for a given batch), the timeline, and item <-> evidence links.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var marksByEvidence = {};
  document.querySelectorAll("mark[data-ev]").forEach(function (mark) {
    mark.dataset.ev.split(" ").forEach(function (id) {
      (marksByEvidence[id] = marksByEvidence[id] || []).push(mark);
    });
  });

  function svgEl(parent, name, attrs, text) {
    var el = document.createElementNS(parent.namespaceURI, name);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) el.textContent = text;
    parent.appendChild(el);
    return el;
  }

  function tooltip(el, text) { svgEl(el, "title", {}, text); }

  // --- item <-> evidence ---------------------------------------------------------------------------------

  // Light an item and every span of its evidence; scroll its first span (or the item) into view.
  function focusItem(itemId, scrollTo, evidenceId) {
    var item = document.getElementById(itemId);
    if (!item) return false;
    document.querySelectorAll(".lit").forEach(function (el) { el.classList.remove("lit"); });
    item.classList.add("lit");
    var first = null, chosen = null;
    item.dataset.ev.split(" ").filter(Boolean).forEach(function (id) {
      (marksByEvidence[id] || []).forEach(function (mark) {
        mark.classList.add("lit");
        first = first || mark;
        if (id === evidenceId) chosen = chosen || mark;
      });
    });
    var target = scrollTo === "item" ? item : chosen || first || item;
    target.scrollIntoView({ block: "center", inline: "nearest" });
    if (window.history && history.replaceState) history.replaceState(null, "", "#" + itemId);
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (link) {
      var id = decodeURIComponent(link.getAttribute("href").slice(1));
      var target = document.getElementById(id);
      if (target && target.classList.contains("item")) {  // a table row or a highlight -> its item
        event.preventDefault();
        focusItem(id, link.closest("mark") ? "item" : "span");
      } else if (target && target.classList.contains("at")) {  // an item's [start:end] -> that span
        event.preventDefault();
        focusItem(id.replace(/-ev\d+$/, ""), "span", id);
      }
      return;
    }
    var item = event.target.closest("li.item");
    if (item) focusItem(item.id, "span");
  });

  // --- network -------------------------------------------------------------------------------------------

  function layout(nodes, links, width, height) {
    var n = nodes.length;
    nodes.forEach(function (d, i) {  // start on a circle, in a fixed order: the same batch, the same picture
      var a = (2 * Math.PI * i) / Math.max(n, 1);
      d.x = width / 2 + (width / 3) * Math.cos(a);
      d.y = height / 2 + (height / 3) * Math.sin(a);
    });
    if (n < 2) return;
    var k = 0.75 * Math.sqrt((width * height) / n);
    var temperature = width / 8;
    var rounds = Math.max(40, Math.min(300, Math.floor(4e6 / (n * n))));
    for (var round = 0; round < rounds; round++) {
      nodes.forEach(function (d) { d.dx = 0; d.dy = 0; });
      for (var i = 0; i < n; i++) {
        for (var j = i + 1; j < n; j++) {
          var a = nodes[i], b = nodes[j];
          var dx = a.x - b.x, dy = a.y - b.y, dist = Math.sqrt(dx * dx + dy * dy) || 0.01;
          var push = (k * k) / dist;
          a.dx += (dx / dist) * push; a.dy += (dy / dist) * push;
          b.dx -= (dx / dist) * push; b.dy -= (dy / dist) * push;
        }
      }
      links.forEach(function (l) {
        var dx = l[0].x - l[1].x, dy = l[0].y - l[1].y, dist = Math.sqrt(dx * dx + dy * dy) || 0.01;
        var pull = (dist * dist) / k;
        l[0].dx -= (dx / dist) * pull; l[0].dy -= (dy / dist) * pull;
        l[1].dx += (dx / dist) * pull; l[1].dy += (dy / dist) * pull;
      });
      nodes.forEach(function (d) {
        d.dx += (width / 2 - d.x) * 0.05 * k / 10;  // gravity keeps separate groups in the picture
        d.dy += (height / 2 - d.y) * 0.05 * k / 10;
        var len = Math.sqrt(d.dx * d.dx + d.dy * d.dy) || 1;
        d.x += (d.dx / len) * Math.min(len, temperature);
        d.y += (d.dy / len) * Math.min(len, temperature);
      });
      temperature *= 0.97;
    }
    fit(nodes, width, height, 70, 40);
  }

  function fit(nodes, width, height, padX, padY) {
    var xs = nodes.map(function (d) { return d.x; }), ys = nodes.map(function (d) { return d.y; });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    nodes.forEach(function (d) {
      d.x = x1 > x0 ? padX + ((d.x - x0) / (x1 - x0)) * (width - 2 * padX) : width / 2;
      d.y = y1 > y0 ? padY + ((d.y - y0) / (y1 - y0)) * (height - 2 * padY) : height / 2;
    });
  }

  function edgePath(points, nth) {
    if (points.length === 1) {  // a meeting with one named participant: a loop on its node
      var p = points[0], r = 16 + 8 * nth;
      return "M" + p.x + " " + p.y + " C" + (p.x - r) + " " + (p.y - 2 * r) + " " + (p.x + r) + " " +
        (p.y - 2 * r) + " " + p.x + " " + p.y;
    }
    if (points.length === 2) {  // parallel meetings of the same pair bend apart
      var a = points[0], b = points[1], mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
      var dx = b.x - a.x, dy = b.y - a.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
      var bend = (nth % 2 ? -1 : 1) * Math.ceil(nth / 2) * 22;
      return "M" + a.x + " " + a.y + " Q" + (mx - (dy / len) * bend) + " " + (my + (dx / len) * bend) +
        " " + b.x + " " + b.y;
    }
    var cx = 0, cy = 0;  // three or more: a star from a small hub ring at their centre
    points.forEach(function (q) { cx += q.x / points.length; cy += q.y / points.length; });
    cy += nth * 10;
    var d = "M" + (cx - 4) + " " + cy + " a4 4 0 1 0 8 0 a4 4 0 1 0 -8 0";
    points.forEach(function (q) { d += " M" + cx + " " + cy + " L" + q.x + " " + q.y; });
    return d;
  }

  function drawNetwork(svg, graph) {
    var nodes = graph.nodes, byId = {};
    var width = 960, height = Math.max(320, Math.min(760, 180 + 16 * nodes.length));
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    nodes.forEach(function (d) { byId[d.id] = d; });
    var links = [], linked = {};  // each pair pulls once, however often they met: pairs keep room for their edges
    graph.edges.forEach(function (e) {
      for (var i = 0; i < e.nodes.length; i++) {
        for (var j = i + 1; j < e.nodes.length; j++) {
          var pair = [e.nodes[i], e.nodes[j]].sort().join(" ");
          if (!linked[pair]) links.push([byId[e.nodes[i]], byId[e.nodes[j]]]);
          linked[pair] = true;
        }
      }
    });
    layout(nodes, links, width, height);
    var edgeLayer = svgEl(svg, "g", { "class": "edges" });
    var nodeLayer = svgEl(svg, "g", { "class": "nodes" });
    var seen = {}, touching = {};
    graph.edges.forEach(function (e) {
      var key = e.nodes.slice().sort().join(" ");
      seen[key] = (seen[key] || 0) + 1;
      var path = svgEl(edgeLayer, "path", {
        "class": "edge st-" + e.status, "d": edgePath(e.nodes.map(function (id) { return byId[id]; }), seen[key] - 1),
        "data-edge": e.id, "data-item": e.item, "data-nodes": e.nodes.join(" "),
      });
      tooltip(path, e.label + "\n" + e.article);
      path.addEventListener("click", function () { focusItem(e.item, "span"); });
      e.nodes.forEach(function (id) { (touching[id] = touching[id] || []).push(path); });
    });
    nodes.forEach(function (d) {
      var g = svgEl(nodeLayer, "g", { "class": "node", "data-node": d.id, "transform": "translate(" + d.x + " " + d.y + ")" });
      svgEl(g, "circle", { "r": 5 + 2.2 * Math.sqrt(d.meetings) });
      svgEl(g, "text", { "x": 9 + 2.2 * Math.sqrt(d.meetings), "y": 4 }, d.label);
      tooltip(g, d.label + ": " + d.meetings + " meeting(s) in " + d.articles.join(", "));
      g.addEventListener("mouseenter", function () {
        svg.classList.add("focus");
        g.classList.add("hot");
        (touching[d.id] || []).forEach(function (path) {
          path.classList.add("hot");
          path.dataset.nodes.split(" ").forEach(function (other) {
            svg.querySelector("g.node[data-node='" + other + "']").classList.add("hot");
          });
        });
      });
      g.addEventListener("mouseleave", function () {
        svg.classList.remove("focus");
        svg.querySelectorAll(".hot").forEach(function (el) { el.classList.remove("hot"); });
      });
    });
    if (!nodes.length) svgEl(svg, "text", { "x": 20, "y": 40, "class": "empty" }, "No meeting with a named participant.");
    var box = svg.getBBox();  // long names may reach past the layout's box: widen the view to hold them
    var x0 = Math.min(0, box.x - 10), x1 = Math.max(width, box.x + box.width + 10);
    var y0 = Math.min(0, box.y - 10), y1 = Math.max(height, box.y + box.height + 10);
    svg.setAttribute("viewBox", [x0, y0, x1 - x0, y1 - y0].join(" "));
  }

  // --- timeline ------------------------------------------------------------------------------------------

  var DAY = 86400000;

  function span(entry) {
    var parts = entry.date.split("-").map(Number);
    if (entry.precision === "day") {
      var day = Date.UTC(parts[0], parts[1] - 1, parts[2]);
      return [day, day + DAY];
    }
    return [Date.UTC(parts[0], parts[1] - 1, 1), Date.UTC(parts[0], parts[1], 1)];
  }

  function ticks(t0, t1) {
    var out = [], date = new Date(t0), years = (t1 - t0) / (365 * DAY);
    var step = years > 12 ? 60 : years > 4 ? 12 : years > 1.5 ? 3 : 1;  // months between ticks
    var y = date.getUTCFullYear(), m = date.getUTCMonth() - (date.getUTCMonth() % step);
    for (var t = Date.UTC(y, m, 1); t <= t1; m += step, t = Date.UTC(y, m, 1)) {
      if (t < t0) continue;
      var d = new Date(t);
      out.push([t, step >= 12 ? String(d.getUTCFullYear()) : d.toISOString().slice(0, 7)]);
    }
    return out;
  }

  function drawTimeline(svg, entries) {
    var width = 960, pad = 30;
    if (!entries.length) {
      svg.setAttribute("viewBox", "0 0 " + width + " 40");
      svgEl(svg, "text", { "x": 20, "y": 25, "class": "empty" }, "No meeting with a known date.");
      return;
    }
    var spans = entries.map(span);
    var t0 = Math.min.apply(null, spans.map(function (s) { return s[0]; }));
    var t1 = Math.max.apply(null, spans.map(function (s) { return s[1]; }));
    if (t1 - t0 < 60 * DAY) { var mid = (t0 + t1) / 2; t0 = mid - 30 * DAY; t1 = mid + 30 * DAY; }
    var x = function (t) { return pad + ((t - t0) / (t1 - t0)) * (width - 2 * pad); };
    var lanes = [], placed = [];
    entries.forEach(function (e, i) {  // entries come sorted by date: first lane with room
      var a = x(spans[i][0]), b = Math.max(x(spans[i][1]), a + 12), lane = 0;
      while (lane < lanes.length && lanes[lane] > a - 3) lane++;
      lanes[lane] = b;
      placed.push([a, b, lane]);
    });
    var height = 46 + 18 * lanes.length;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    var axis = svgEl(svg, "g", { "class": "axis" });
    svgEl(axis, "line", { "x1": pad, "x2": width - pad, "y1": height - 28, "y2": height - 28 });
    ticks(t0, t1).forEach(function (tick) {
      svgEl(axis, "line", { "x1": x(tick[0]), "x2": x(tick[0]), "y1": height - 32, "y2": height - 24 });
      svgEl(axis, "text", { "x": x(tick[0]), "y": height - 10, "text-anchor": "middle" }, tick[1]);
    });
    entries.forEach(function (e, i) {
      var p = placed[i], y = 14 + 18 * p[2], mark;
      if (e.precision === "day") {
        mark = svgEl(svg, "circle", { "cx": (p[0] + x(spans[i][1])) / 2, "cy": y, "r": 6 });
      } else {
        mark = svgEl(svg, "rect", { "x": p[0], "y": y - 5, "width": Math.max(x(spans[i][1]) - p[0], 10), "height": 10, "rx": 5 });
      }
      mark.setAttribute("class", "tl st-" + e.status);
      mark.setAttribute("data-item", e.item);
      tooltip(mark, e.date + " " + e.label + "\n" + e.article);
      mark.addEventListener("click", function () { focusItem(e.item, "span"); });
    });
  }

  drawNetwork(document.getElementById("network-svg"), data.graph);
  drawTimeline(document.getElementById("timeline-svg"), data.timeline);
  if (location.hash) focusItem(decodeURIComponent(location.hash.slice(1)), "span");
  document.documentElement.dataset.ready = "true";  // drawn and linked (tests wait for this)
})();
