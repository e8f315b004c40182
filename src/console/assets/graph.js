// aslx console: the graph of a state machine definition, computed here from its JSON and laid
// out with dagre (vendored). Shared by the console and `aslx graph --format html`.
//
// Model: a graph is {states: [node], edges: [edge], startAt}; a node is {id, name, type,
// def, children: [graph] | null, kind: 'parallel' | 'map' | null}; an edge is {from, to, kind:
// 'next' | 'default' | 'choice' | 'catch', label}. Parallel branches and Map processors are
// graphs of their own, so containers nest to any depth. Layout is bottom-up: each inner graph
// is laid out first and its container becomes one node of that size in the parent graph
// (dagre's compound mode cannot route edges to a cluster).
//
// Every text from the definition reaches the page through textContent, never markup.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const NODE_H = 44, PAD = 14, HEAD = 26, BRANCH_GAP = 24, CHAR_W = 7.2;

  function describeRule(r) {
    if (!r || typeof r !== "object") return "";
    if (typeof r.Condition === "string") return r.Condition;
    if (Array.isArray(r.And)) return r.And.map(describeRule).join(" and ");
    if (Array.isArray(r.Or)) return r.Or.map(describeRule).join(" or ");
    if (r.Not) return "not (" + describeRule(r.Not) + ")";
    for (const k of Object.keys(r)) {
      if (k === "Variable" || k === "Next" || k === "Comment" || k === "Assign" || k === "Output") continue;
      let v = r[k];
      v = typeof v === "string" ? JSON.stringify(v) : String(v);
      return (r.Variable || "") + " " + k + " " + v;
    }
    return "";
  }

  function short(s, n) {
    s = String(s);
    return s.length > n ? s.slice(0, n - 1) + "\u2026" : s;
  }

  // A graph of `def` ({StartAt, States}); node ids are prefixed so nested names stay apart.
  function buildGraph(def, prefix) {
    const g = { states: [], edges: [], startAt: null, prefix: prefix };
    if (!def || typeof def !== "object" || !def.States || typeof def.States !== "object") return g;
    const id = (n) => prefix + n;
    g.startAt = typeof def.StartAt === "string" ? id(def.StartAt) : null;
    const names = Object.keys(def.States);
    const known = new Set(names);
    for (const name of names) {
      const s = def.States[name] || {};
      const node = { id: id(name), name: name, type: String(s.Type || "?"), def: s, children: null, kind: null };
      if (s.Type === "Parallel" && Array.isArray(s.Branches)) {
        node.kind = "parallel";
        node.children = s.Branches.map((b, i) => buildGraph(b, id(name) + "/" + i + "/"));
      } else if (s.Type === "Map" && (s.ItemProcessor || s.Iterator)) {
        node.kind = "map";
        node.children = [buildGraph(s.ItemProcessor || s.Iterator, id(name) + "/p/")];
      }
      g.states.push(node);
      const edge = (to, kind, label) => {
        if (typeof to === "string" && known.has(to)) g.edges.push({ from: id(name), to: id(to), kind: kind, label: label || "" });
      };
      edge(s.Next, "next");
      if (s.Type === "Choice") {
        (Array.isArray(s.Choices) ? s.Choices : []).forEach((r, i) =>
          edge(r && r.Next, "choice", short(describeRule(r) || "Rule #" + (i + 1), 36)));
        edge(s.Default, "default", "Default");
      }
      (Array.isArray(s.Catch) ? s.Catch : []).forEach((c) =>
        edge(c && c.Next, "catch", short((Array.isArray(c && c.ErrorEquals) ? c.ErrorEquals : []).join(", "), 36)));
    }
    return g;
  }

  function buildModel(definition) {
    return buildGraph(definition, "");
  }

  // Counts for tests and summaries: states, containers (Parallel and Map), edges.
  function count(g) {
    let c = { states: 0, containers: 0, edges: g.edges.length };
    for (const n of g.states) {
      c.states++;
      if (n.children) {
        c.containers++;
        for (const k of n.children) {
          const d = count(k);
          c.states += d.states; c.containers += d.containers; c.edges += d.edges;
        }
      }
    }
    return c;
  }

  function textWidth(s, bold) {
    return String(s).length * (bold ? CHAR_W + 0.6 : CHAR_W);
  }

  // Past this many states in one graph, dagre's crossing minimisation costs seconds (about
  // 4 s for a 1,000-state chain on the 2-core machine under load), so such graphs get the
  // linear-time layered layout below instead.
  const DAGRE_MAX = 200;

  // A dagre-shaped graph laid out in linear time: ranks by longest path over the edges of a
  // depth-first spanning order (back edges ignored), nodes of a rank side by side in the
  // order they were reached, edges drawn straight. Used for very large graphs only.
  function quickLayout(dg, dir) {
    const opts = dg.graph(), horizontal = dir === "LR";
    const nodes = dg.nodes(), rank = {}, state = {}, order = [];
    const visit = (root) => {
      const stack = [[root, 0]];
      state[root] = 1;
      while (stack.length) {
        const top = stack[stack.length - 1];
        const outs = dg.outEdges(top[0]) || [];
        if (top[1] < outs.length) {
          const w = outs[top[1]++].w;
          if (!state[w]) { state[w] = 1; stack.push([w, 0]); }
        } else { state[top[0]] = 2; order.push(top[0]); stack.pop(); }
      }
    };
    const sources = nodes.filter((v) => !(dg.inEdges(v) || []).length);
    (sources.length ? sources : nodes.slice(0, 1)).forEach((v) => { if (!state[v]) visit(v); });
    nodes.forEach((v) => { if (!state[v]) visit(v); });
    order.reverse(); // a topological order of the forward edges
    const pos = {};
    order.forEach((v, i) => { pos[v] = i; rank[v] = 0; });
    for (const v of order) for (const e of dg.outEdges(v) || []) if (pos[e.w] > pos[v]) rank[e.w] = Math.max(rank[e.w], rank[v] + 1);
    const ranks = [];
    for (const v of order) (ranks[rank[v]] = ranks[rank[v]] || []).push(v);
    let along = opts.marginy || 8, widest = 0;
    const lines = ranks.map((vs) => {
      const across = vs.reduce((a, v) => a + (horizontal ? dg.node(v).height : dg.node(v).width) + opts.nodesep, -opts.nodesep);
      const thick = Math.max(...vs.map((v) => (horizontal ? dg.node(v).width : dg.node(v).height)));
      widest = Math.max(widest, across);
      const line = { vs: vs, across: across, at: along + thick / 2 };
      along += thick + opts.ranksep;
      return line;
    });
    for (const l of lines) {
      let c = (opts.marginx || 8) + (widest - l.across) / 2;
      for (const v of l.vs) {
        const n = dg.node(v), size = horizontal ? n.height : n.width;
        if (horizontal) { n.x = l.at; n.y = c + size / 2; } else { n.x = c + size / 2; n.y = l.at; }
        c += size + opts.nodesep;
      }
    }
    for (const e of dg.edges()) {
      const a = dg.node(e.v), b = dg.node(e.w), lab = dg.edge(e);
      const p1 = horizontal ? { x: a.x + a.width / 2, y: a.y } : { x: a.x, y: a.y + a.height / 2 };
      const p2 = horizontal ? { x: b.x - b.width / 2, y: b.y } : { x: b.x, y: b.y - b.height / 2 };
      lab.points = [p1, p2];
      lab.x = (p1.x + p2.x) / 2; lab.y = (p1.y + p2.y) / 2;
    }
    const m = 2 * (opts.marginx || 8);
    opts.width = (horizontal ? along : widest) + m;
    opts.height = (horizontal ? widest : along) + m;
  }

  // Lays `g` out (children first); returns {w, h, nodes: {id: {x, y, w, h, node, inner}}, edges}.
  function layoutGraph(g, dir, withMarkers) {
    const horizontal = dir === "LR";
    const inner = {};
    const dg = new dagre.graphlib.Graph({ multigraph: true });
    dg.setGraph({ rankdir: dir, nodesep: 28, ranksep: 36, edgesep: 12, marginx: 8, marginy: 8,
      ranker: "network-simplex" });
    dg.setDefaultEdgeLabel(() => ({}));
    for (const n of g.states) {
      let w = Math.max(120, Math.max(textWidth(n.name, true), textWidth(n.type)) + 28), h = NODE_H;
      if (n.children) {
        // Branches side by side (vertical layout) or stacked (horizontal).
        const parts = n.children.map((c) => layoutGraph(c, dir, false));
        inner[n.id] = parts;
        let main = 0, cross = 0;
        for (const p of parts) {
          const pw = Math.max(p.w, 60), ph = Math.max(p.h, 30);
          if (horizontal) { main = Math.max(main, pw); cross += ph + BRANCH_GAP; }
          else { main = Math.max(main, ph); cross += pw + BRANCH_GAP; }
        }
        cross = Math.max(0, cross - BRANCH_GAP);
        w = Math.max(w, (horizontal ? main : cross) + 2 * PAD);
        h = (horizontal ? cross : main) + 2 * PAD + HEAD;
      }
      dg.setNode(n.id, { width: w, height: h });
    }
    if (withMarkers && g.startAt) {
      dg.setNode("__start", { width: 60, height: 26 });
      dg.setEdge("__start", g.startAt, {}, "start");
      dg.setNode("__end", { width: 60, height: 26 });
      for (const n of g.states) {
        const d = n.def || {};
        if (d.End === true || n.type === "Succeed" || n.type === "Fail") dg.setEdge(n.id, "__end", {}, "end:" + n.id);
      }
    }
    g.edges.forEach((e, i) => {
      const lab = e.label ? { width: textWidth(e.label) + 8, height: 16, labelpos: "c" } : {};
      dg.setEdge(e.from, e.to, lab, "x" + i);
    });
    if (g.states.length > DAGRE_MAX) quickLayout(dg, dir); else dagre.layout(dg);
    const out = { w: dg.graph().width || 0, h: dg.graph().height || 0, nodes: {}, edges: [], markers: [] };
    const byId = {};
    for (const n of g.states) byId[n.id] = n;
    for (const v of dg.nodes()) {
      const p = dg.node(v);
      if (v === "__start" || v === "__end") { out.markers.push({ id: v, x: p.x, y: p.y, w: p.width, h: p.height }); continue; }
      out.nodes[v] = { x: p.x, y: p.y, w: p.width, h: p.height, node: byId[v], inner: inner[v] || null };
    }
    for (const ed of dg.edges()) {
      const e = dg.edge(ed);
      let kind = "next", label = "";
      if (ed.name && ed.name.charAt(0) === "x") {
        const m = g.edges[Number(ed.name.slice(1))];
        kind = m.kind; label = m.label;
      } else kind = "terminal";
      out.edges.push({ points: e.points || [], kind: kind, label: label, lx: e.x, ly: e.y });
    }
    return out;
  }

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function text(parent, x, y, s, cls) {
    const t = el("text", { x: x, y: y, class: cls }, parent);
    t.textContent = s;
    return t;
  }

  const STYLE = [
    "text{font:12px 'Amazon Ember',Arial,Helvetica,sans-serif;fill:#16191f}",
    ".st-name{font-weight:bold}.st-type{fill:#687078;font-size:11px}",
    ".node rect{fill:#fff;stroke:#879596;stroke-width:1.2}",
    ".node.container>rect{fill:#f9fafa;stroke-dasharray:5 3}",
    ".node.selected>rect{stroke:#0073bb;stroke-width:3}",
    ".node.st-succeeded>rect{fill:#2BD62E;fill-opacity:.25;stroke:#2BD62E}",
    ".node.st-failed>rect{fill:#DE322F;fill-opacity:.25;stroke:#DE322F}",
    ".node.st-caught>rect{fill:#FFA500;fill-opacity:.3;stroke:#FFA500}",
    ".node.st-inprogress>rect{fill:#53C9ED;fill-opacity:.3;stroke:#53C9ED}",
    ".node.st-cancelled>rect{fill:#DDDDDD;stroke:#AAAAAA}",
    ".edge{fill:none;stroke:#545b64;stroke-width:1.3}",
    ".edge.catch{stroke:#d45b07;stroke-dasharray:6 4}",
    ".edge-label{font-size:11px;fill:#545b64}.edge-label.catch{fill:#d45b07}",
    ".marker rect{fill:#232f3e}.marker text{fill:#fff;font-size:11px}",
    ".branch{fill:none;stroke:#d5dbdb;stroke-dasharray:2 3}",
  ].join("\n");

  function path(points) {
    if (!points.length) return "";
    return "M" + points.map((p) => p.x.toFixed(1) + "," + p.y.toFixed(1)).join(" L");
  }

  // Draws a laid-out graph into `g` at (ox, oy).
  function draw(parent, lay, ox, oy, index, dir) {
    const root = el("g", { transform: "translate(" + ox + "," + oy + ")" }, parent);
    for (const e of lay.edges) {
      const cls = "edge " + e.kind;
      el("path", { d: path(e.points), class: cls, "marker-end": "url(#arrow)" }, root);
      if (e.label) text(root, e.lx, e.ly + 4, e.label, "edge-label " + e.kind).setAttribute("text-anchor", "middle");
    }
    for (const m of lay.markers) {
      const g = el("g", { class: "marker", "data-marker": m.id === "__start" ? "start" : "end" }, root);
      el("rect", { x: m.x - m.w / 2, y: m.y - m.h / 2, width: m.w, height: m.h, rx: 13 }, g);
      text(g, m.x, m.y + 4, m.id === "__start" ? "Start" : "End").setAttribute("text-anchor", "middle");
    }
    for (const id in lay.nodes) {
      const p = lay.nodes[id], n = p.node;
      const g = el("g", { class: "node" + (p.inner ? " container" : ""), tabindex: "0", role: "button" }, root);
      g.dataset.state = n.name;
      g.dataset.type = n.type;
      g.dataset.id = n.id;
      g.setAttribute("aria-label", n.type + " state " + n.name);
      const x0 = p.x - p.w / 2, y0 = p.y - p.h / 2;
      el("rect", { x: x0, y: y0, width: p.w, height: p.h, rx: 6 }, g);
      const title = el("title", {}, g);
      title.textContent = n.name + " (" + n.type + ")";
      if (p.inner) {
        text(g, x0 + 10, y0 + 17, n.name, "st-name");
        text(g, x0 + p.w - 10, y0 + 17, n.type, "st-type").setAttribute("text-anchor", "end");
        let off = 0;
        const horizontal = dir === "LR";
        const total = p.inner.reduce((a, q) => a + (horizontal ? Math.max(q.h, 30) : Math.max(q.w, 60)) + BRANCH_GAP, -BRANCH_GAP);
        const avail = horizontal ? p.h - HEAD - 2 * PAD : p.w - 2 * PAD;
        off = Math.max(0, (avail - total) / 2);
        for (const q of p.inner) {
          const qw = Math.max(q.w, 60), qh = Math.max(q.h, 30);
          const bx = horizontal ? x0 + (p.w - qw) / 2 : x0 + PAD + off;
          const by = horizontal ? y0 + HEAD + PAD + off : y0 + HEAD + PAD;
          if (p.inner.length > 1) el("rect", { x: bx - 4, y: by - 4, width: qw + 8, height: qh + 8, rx: 4, class: "branch" }, g);
          draw(g, q, bx, by, index, dir);
          off += (horizontal ? qh : qw) + BRANCH_GAP;
        }
      } else {
        text(g, p.x, p.y - 3, n.name, "st-name").setAttribute("text-anchor", "middle");
        text(g, p.x, p.y + 13, n.type, "st-type").setAttribute("text-anchor", "middle");
      }
      (index[n.name] = index[n.name] || []).push(g);
    }
    return root;
  }

  // Renders `definition` (an object) into `host` (an element). Returns a view with zoom,
  // fit, colouring and export.
  function render(host, definition, options) {
    options = options || {};
    const dir = options.direction === "LR" ? "LR" : "TB";
    const model = buildModel(definition);
    const t0 = performance.now();
    const lay = layoutGraph(model, dir, true);
    const t1 = performance.now();
    host.textContent = "";
    const svg = el("svg", { xmlns: SVG, class: "asl-graph", role: "img",
      "aria-label": "State machine graph", width: "100%", height: "100%" }, host);
    el("style", {}, svg).textContent = STYLE;
    const defs = el("defs", {}, svg);
    const mk = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#545b64" }, mk);
    const viewport = el("g", { class: "viewport" }, svg);
    const index = {};
    draw(viewport, lay, 0, 0, index, dir);
    const t2 = performance.now();
    const view = {
      model: model, width: lay.w, height: lay.h, svg: svg, index: index,
      timings: { layoutMs: t1 - t0, drawMs: t2 - t1 },
      scale: 1, tx: 0, ty: 0,
      apply() { viewport.setAttribute("transform", "translate(" + view.tx + "," + view.ty + ") scale(" + view.scale + ")"); },
      fit() {
        const r = host.getBoundingClientRect();
        const W = r.width || 800, H = r.height || 500;
        view.scale = Math.min(1.5, Math.max(0.02, Math.min(W / (lay.w + 20), H / (lay.h + 20))));
        view.tx = (W - lay.w * view.scale) / 2;
        view.ty = Math.max(4, (H - lay.h * view.scale) / 2);
        view.apply();
      },
      zoom(f, cx, cy) {
        const r = host.getBoundingClientRect();
        cx = cx === undefined ? r.width / 2 : cx; cy = cy === undefined ? r.height / 2 : cy;
        const s = Math.min(4, Math.max(0.02, view.scale * f));
        view.tx = cx - (cx - view.tx) * (s / view.scale);
        view.ty = cy - (cy - view.ty) * (s / view.scale);
        view.scale = s;
        view.apply();
      },
      // statuses: {stateName: 'succeeded' | 'failed' | 'caught' | 'inprogress' | 'cancelled'}
      colour(statuses) {
        for (const name in index) {
          for (const g of index[name]) {
            g.classList.remove("st-succeeded", "st-failed", "st-caught", "st-inprogress", "st-cancelled");
            const s = statuses[name];
            if (s) g.classList.add("st-" + s);
            g.dataset.status = s || "notreached";
          }
        }
      },
      select(name) {
        svg.querySelectorAll(".node.selected").forEach((g) => g.classList.remove("selected"));
        (index[name] || []).forEach((g) => g.classList.add("selected"));
      },
      svgText() {
        const copy = svg.cloneNode(true);
        copy.setAttribute("width", Math.ceil(lay.w + 20));
        copy.setAttribute("height", Math.ceil(lay.h + 20));
        copy.setAttribute("viewBox", "-10 -10 " + Math.ceil(lay.w + 20) + " " + Math.ceil(lay.h + 20));
        copy.querySelector(".viewport").removeAttribute("transform");
        return new XMLSerializer().serializeToString(copy);
      },
      pngBlob(cb) {
        const img = new Image();
        const scale = Math.min(2, 16000 / Math.max(lay.w, lay.h, 1));
        img.onload = () => {
          const c = document.createElement("canvas");
          c.width = Math.ceil((lay.w + 20) * scale); c.height = Math.ceil((lay.h + 20) * scale);
          const ctx = c.getContext("2d");
          ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, c.width, c.height);
          ctx.drawImage(img, 0, 0, c.width, c.height);
          c.toBlob(cb, "image/png");
        };
        img.onerror = () => cb(null);
        img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(view.svgText());
      },
    };
    // Pan by dragging, zoom by wheel.
    let drag = null;
    svg.addEventListener("pointerdown", (ev) => {
      if (ev.target.closest && ev.target.closest(".node:not(.container)")) return;
      drag = { x: ev.clientX, y: ev.clientY, tx: view.tx, ty: view.ty };
    });
    svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      view.tx = drag.tx + ev.clientX - drag.x; view.ty = drag.ty + ev.clientY - drag.y; view.apply();
    });
    const stop = () => { drag = null; };
    svg.addEventListener("pointerup", stop);
    svg.addEventListener("pointerleave", stop);
    svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const r = host.getBoundingClientRect();
      view.zoom(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    if (options.onSelect) {
      const pick = (ev) => {
        const g = ev.target.closest && ev.target.closest(".node");
        if (g && (ev.type === "click" || ev.key === "Enter" || ev.key === " ")) {
          ev.stopPropagation(); ev.preventDefault();
          options.onSelect(g.dataset.state, g.dataset.id);
        }
      };
      svg.addEventListener("click", pick);
      svg.addEventListener("keydown", pick);
    }
    view.fit();
    return view;
  }

  // A toolbar for a view: layout, zoom, fit, export. `rerender(dir)` redraws.
  function toolbar(bar, getView, rerender, fileName) {
    bar.textContent = "";
    const button = (label, title, fn) => {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = label; b.title = title; b.setAttribute("aria-label", title);
      b.addEventListener("click", fn);
      bar.appendChild(b);
      return b;
    };
    const save = (blob, name) => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob); a.download = name;
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    };
    button("Vertical", "Vertical layout", () => rerender("TB"));
    button("Horizontal", "Horizontal layout", () => rerender("LR"));
    button("+", "Zoom in", () => getView().zoom(1.25));
    button("\u2212", "Zoom out", () => getView().zoom(0.8));
    button("Fit", "Fit to view", () => getView().fit());
    button("SVG", "Export as SVG", () => save(new Blob([getView().svgText()], { type: "image/svg+xml" }), fileName + ".svg"));
    button("PNG", "Export as PNG", () => getView().pngBlob((b) => b && save(b, fileName + ".png")));
  }

  window.AslGraph = { buildModel: buildModel, count: count, render: render, toolbar: toolbar, describeRule: describeRule };
})();
