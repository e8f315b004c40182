//! A layered ("Sugiyama", as dagre does it) layout of a [`Graph`], compound containers
//! included.
//!
//! ASL transitions never leave their scope, so a compound graph lays out bottom-up: a Parallel
//! or Map state is a box as large as its containers laid out side by side, and each container
//! is a plain layered graph of its states and markers. Per container:
//!
//! 1. cycles broken by a depth-first search from the start marker (back edges reversed);
//! 2. ranks by longest path, a labelled edge two ranks long so that its label gets a rank
//!    of its own (dagre's trick), the end marker last;
//! 3. edges longer than one rank cut by dummy points, the label being the first;
//! 4. order within ranks by barycenter sweeps, keeping the order with fewest crossings;
//! 5. positions within ranks by repeated averaging over neighbours, projected onto the
//!    ordering constraints by isotonic regression (pool adjacent violators), so that boxes
//!    never overlap and chains come out straight.
//!
//! Coordinates are computed on a (breadth, rank) plane and mapped to (x, y) by [`Direction`].
//! Text is measured by an estimate (no fonts here): about 7 px a character at 12 px.

use super::{Container, Direction, Graph};

const RANK_GAP: f64 = 34.0;
const NODE_GAP: f64 = 28.0;
const DUMMY_GAP: f64 = 12.0;
const PAD: f64 = 14.0;
const HEADER: f64 = 24.0;
const CHILD_GAP: f64 = 18.0;
pub(super) const MARKER: (f64, f64) = (56.0, 26.0);
pub(super) const NODE_H: f64 = 44.0;
pub(super) const LABEL_H: f64 = 16.0;

/// A container laid out: sizes and positions relative to its own top-left corner.
#[derive(Debug)]
pub(super) struct Laid {
    pub(super) w: f64,
    pub(super) h: f64,
    /// Start marker, the states in order, end marker.
    pub(super) items: Vec<Item>,
    /// One route per container edge, in order.
    pub(super) routes: Vec<Route>,
}

/// A placed box: centre, size, and for a Parallel or Map state its containers' top-left
/// corners (relative to the box's top-left) with their layouts.
#[derive(Debug)]
pub(super) struct Item {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) w: f64,
    pub(super) h: f64,
    pub(super) children: Vec<(f64, f64, Laid)>,
}

/// An edge's polyline, from its source's border to its target's, and where its label sits.
#[derive(Debug)]
pub(super) struct Route {
    pub(super) points: Vec<(f64, f64)>,
    pub(super) label_at: Option<(f64, f64)>,
}

/// Estimated width of `text` at `px` pixels (wide characters count double).
pub(super) fn text_width(text: &str, px: f64) -> f64 {
    let units: f64 = text
        .chars()
        .map(|c| if c as u32 >= 0x2E80 { 1.9 } else { 1.0 })
        .sum();
    units * px * 0.58
}

pub(super) fn layout(g: &Graph, dir: Direction) -> Laid {
    container(&g.root, dir)
}

/// Breadth and rank extents of a box of real size (w, h).
fn extents(dir: Direction, w: f64, h: f64) -> (f64, f64) {
    match dir {
        Direction::TopBottom => (w, h),
        Direction::LeftRight => (h, w),
    }
}

fn to_xy(dir: Direction, b: f64, r: f64) -> (f64, f64) {
    match dir {
        Direction::TopBottom => (b, r),
        Direction::LeftRight => (r, b),
    }
}

/// One vertex of a container's layered graph: an item or a dummy point.
#[derive(Clone, Copy)]
struct Vertex {
    breadth: f64,
    depth: f64,
    dummy: bool,
}

fn container(c: &Container, dir: Direction) -> Laid {
    let n = c.nodes.len() + 2;
    let index = |id: &str| -> usize {
        if id == c.start {
            0
        } else if id == c.end {
            n - 1
        } else {
            c.nodes.iter().position(|x| x.id == id).map_or(0, |i| i + 1)
        }
    };
    // Boxes: real sizes, and the compound states' containers laid out first.
    let mut items: Vec<Item> = Vec::with_capacity(n);
    items.push(boxed(MARKER.0, MARKER.1));
    for node in &c.nodes {
        items.push(node_box(node, dir));
    }
    items.push(boxed(MARKER.0, MARKER.1));
    let mut vs: Vec<Vertex> = items
        .iter()
        .map(|it| {
            let (breadth, depth) = extents(dir, it.w, it.h);
            Vertex {
                breadth,
                depth,
                dummy: false,
            }
        })
        .collect();

    let edges: Vec<(usize, usize, String)> = c
        .edges
        .iter()
        .map(|e| (index(&e.from), index(&e.to), e.kind.label()))
        .collect();
    let reversed = break_cycles(n, &edges);
    let rank = ranks(n, &edges, &reversed);
    let max_rank = rank.iter().copied().max().unwrap_or(0);

    // Chains of vertices, one per edge, in ranking orientation (low rank first).
    let mut rank_of = rank.clone();
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(edges.len());
    let mut label_vertex: Vec<Option<usize>> = Vec::with_capacity(edges.len());
    for (i, (from, to, label)) in edges.iter().enumerate() {
        let (lo, hi) = if reversed[i] {
            (*to, *from)
        } else {
            (*from, *to)
        };
        let mut chain = vec![lo];
        let mut lv = None;
        if lo != hi {
            for r in rank[lo] + 1..rank[hi] {
                let first = r == rank[lo] + 1 && !label.is_empty();
                let (breadth, depth) = match first {
                    true => extents(dir, text_width(label, 10.0) + 8.0, LABEL_H),
                    false => (0.0, 0.0),
                };
                vs.push(Vertex {
                    breadth,
                    depth,
                    dummy: true,
                });
                rank_of.push(r);
                if first {
                    lv = Some(vs.len() - 1);
                }
                chain.push(vs.len() - 1);
            }
        }
        chain.push(hi);
        chains.push(chain);
        label_vertex.push(lv);
    }

    let layers = order(&vs, &rank_of, max_rank, &chains);
    let pos = breadths(&vs, &layers, &chains);

    // Rank coordinates: each rank as deep as its deepest vertex.
    let mut depth_of = vec![0.0f64; max_rank + 1];
    for (v, r) in vs.iter().zip(&rank_of) {
        depth_of[*r] = depth_of[*r].max(v.depth);
    }
    // The container's label sits above its content whichever way the flow runs.
    let header = if c.label.is_some() { HEADER } else { 0.0 };
    let (rank_start, breadth_start) = match dir {
        Direction::TopBottom => (PAD + header, PAD),
        Direction::LeftRight => (PAD, PAD + header),
    };
    let mut centre_of = vec![0.0f64; max_rank + 1];
    let mut at = rank_start;
    for r in 0..=max_rank {
        centre_of[r] = at + depth_of[r] / 2.0;
        at += depth_of[r] + RANK_GAP;
    }
    let rank_extent = at - RANK_GAP + PAD;

    let left = (0..vs.len())
        .map(|v| pos[v] - vs[v].breadth / 2.0)
        .fold(f64::INFINITY, f64::min);
    let right = (0..vs.len())
        .map(|v| pos[v] + vs[v].breadth / 2.0)
        .fold(f64::NEG_INFINITY, f64::max);
    let label_w = c
        .label
        .as_deref()
        .map_or(0.0, |l| text_width(l, 11.0) + 2.0 * PAD);
    let inner = (right - left).max(0.0);
    // Across a top-to-bottom flow, the label may be wider than the content: centre it.
    let breadth_extent = match dir {
        Direction::TopBottom => (inner + 2.0 * PAD).max(label_w),
        Direction::LeftRight => inner + breadth_start + PAD,
    };
    let shift = match dir {
        Direction::TopBottom => PAD - left + (breadth_extent - 2.0 * PAD - inner) / 2.0,
        Direction::LeftRight => breadth_start - left,
    };
    let b = |v: usize| pos[v] + shift;
    let r = |v: usize| centre_of[rank_of[v]];

    for (i, it) in items.iter_mut().enumerate() {
        (it.x, it.y) = to_xy(dir, b(i), r(i));
    }
    let routes = edges
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let chain = &chains[i];
            let (lo, hi) = (chain[0], chain[chain.len() - 1]);
            let mut points = Vec::with_capacity(chain.len() + 2);
            if lo == hi {
                // A state that transitions to itself (a Catch back to the Task): a loop beside it.
                let side = b(lo) + vs[lo].breadth / 2.0;
                let (c0, d) = (r(lo), vs[lo].depth / 4.0);
                for (pb, pr) in [
                    (side, c0 - d),
                    (side + 20.0, c0 - d),
                    (side + 20.0, c0 + d),
                    (side, c0 + d),
                ] {
                    points.push(to_xy(dir, pb, pr));
                }
                let label_at = Some(to_xy(dir, side + 24.0, c0));
                return Route { points, label_at };
            }
            points.push(to_xy(dir, b(lo), r(lo) + vs[lo].depth / 2.0));
            for &v in &chain[1..chain.len() - 1] {
                points.push(to_xy(dir, b(v), r(v)));
            }
            points.push(to_xy(dir, b(hi), r(hi) - vs[hi].depth / 2.0));
            if reversed[i] {
                points.reverse();
            }
            let label_at = label_vertex[i].map(|v| to_xy(dir, b(v), r(v)));
            Route { points, label_at }
        })
        .collect();
    let (w, h) = to_xy(dir, breadth_extent, rank_extent);
    Laid {
        w: w.max(label_w),
        h,
        items,
        routes,
    }
}

fn boxed(w: f64, h: f64) -> Item {
    Item {
        x: 0.0,
        y: 0.0,
        w,
        h,
        children: Vec::new(),
    }
}

/// A state's box: a plain state sized to its name and type; a Parallel or Map state around
/// its containers, side by side across the flow, under a header with its name.
fn node_box(node: &super::Node, dir: Direction) -> Item {
    if node.children.is_empty() {
        let text = text_width(&node.name, 12.0).max(text_width(node.state_type, 10.0));
        return boxed((text + 28.0).max(110.0), NODE_H);
    }
    let laid: Vec<Laid> = node.children.iter().map(|c| container(c, dir)).collect();
    let mut children = Vec::with_capacity(laid.len());
    let (mut along, mut across) = (PAD, 0.0f64);
    for l in laid {
        let (x, y) = match dir {
            Direction::TopBottom => (along, HEADER),
            Direction::LeftRight => (PAD, HEADER + along - PAD),
        };
        let (step, other) = match dir {
            Direction::TopBottom => (l.w, l.h),
            Direction::LeftRight => (l.h, l.w),
        };
        along += step + CHILD_GAP;
        across = across.max(other);
        children.push((x, y, l));
    }
    along += PAD - CHILD_GAP;
    let title = text_width(&node.name, 12.0) + text_width(node.state_type, 10.0) + 3.0 * PAD;
    let (w, h) = match dir {
        Direction::TopBottom => (along.max(title), HEADER + across + PAD),
        Direction::LeftRight => ((across + 2.0 * PAD).max(title), HEADER + along - PAD),
    };
    // Centre the containers across the box when the title is the wider.
    if let Direction::TopBottom = dir {
        let extra = (w - along) / 2.0;
        for (x, _, _) in &mut children {
            *x += extra;
        }
    }
    Item {
        x: 0.0,
        y: 0.0,
        w,
        h,
        children,
    }
}

/// Marks the edges a depth-first search from the start marker finds going back up its path.
fn break_cycles(n: usize, edges: &[(usize, usize, String)]) -> Vec<bool> {
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, (from, _, _)) in edges.iter().enumerate() {
        out_edges[*from].push(i);
    }
    let mut reversed = vec![false; edges.len()];
    // 0 unseen, 1 on the path, 2 done.
    let mut state = vec![0u8; n];
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some((v, k)) = stack.last_mut() {
            let v = *v;
            if let Some(&e) = out_edges[v].get(*k) {
                *k += 1;
                let to = edges[e].1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => reversed[e] = to != v,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    reversed
}

/// Longest-path ranks; a labelled edge spans two ranks; the end marker comes last.
fn ranks(n: usize, edges: &[(usize, usize, String)], reversed: &[bool]) -> Vec<usize> {
    let mut succ: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for (i, (from, to, label)) in edges.iter().enumerate() {
        if from == to {
            continue;
        }
        let (lo, hi) = if reversed[i] {
            (*to, *from)
        } else {
            (*from, *to)
        };
        let len = if label.is_empty() { 1 } else { 2 };
        succ[lo].push((hi, len));
        indegree[hi] += 1;
    }
    let mut rank = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
    ready.reverse();
    while let Some(v) = ready.pop() {
        for &(w, len) in &succ[v] {
            rank[w] = rank[w].max(rank[v] + len);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                ready.push(w);
            }
        }
    }
    let last = n - 1;
    let max = (0..last).map(|v| rank[v]).max().unwrap_or(0);
    rank[last] = rank[last].max(max + 1);
    rank
}

/// Vertices per rank, ordered to cut crossings: barycenter sweeps down and up.
fn order(
    vs: &[Vertex],
    rank_of: &[usize],
    max_rank: usize,
    chains: &[Vec<usize>],
) -> Vec<Vec<usize>> {
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); vs.len()];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); vs.len()];
    for chain in chains {
        for w in chain.windows(2) {
            if w[0] != w[1] {
                down[w[0]].push(w[1]);
                up[w[1]].push(w[0]);
            }
        }
    }
    // Initial order: depth-first from the start marker, so branches stay together.
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); max_rank + 1];
    let mut seen = vec![false; vs.len()];
    let mut stack: Vec<usize> = (0..vs.len()).rev().collect();
    stack.retain(|&v| v == 0 || up[v].is_empty());
    stack.push(0);
    while let Some(v) = stack.pop() {
        if std::mem::replace(&mut seen[v], true) {
            continue;
        }
        layers[rank_of[v]].push(v);
        for &w in down[v].iter().rev() {
            if !seen[w] {
                stack.push(w);
            }
        }
    }
    for v in 0..vs.len() {
        if !seen[v] {
            layers[rank_of[v]].push(v);
        }
    }
    let mut best = layers.clone();
    let mut best_crossings = crossings(&layers, &down, vs.len());
    let mut pos = vec![0.0f64; vs.len()];
    for iter in 0..8 {
        let downward = iter % 2 == 0;
        let ranks: Vec<usize> = match downward {
            true => (1..=max_rank).collect(),
            false => (0..max_rank).rev().collect(),
        };
        for layer in &layers {
            for (i, &v) in layer.iter().enumerate() {
                pos[v] = i as f64;
            }
        }
        for r in ranks {
            let neighbours = if downward { &up } else { &down };
            let mut keyed: Vec<(f64, usize)> = layers[r]
                .iter()
                .map(|&v| {
                    let ns = &neighbours[v];
                    let key = match ns.is_empty() {
                        true => pos[v],
                        false => ns.iter().map(|&w| pos[w]).sum::<f64>() / ns.len() as f64,
                    };
                    (key, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            layers[r] = keyed.into_iter().map(|(_, v)| v).collect();
            for (i, &v) in layers[r].iter().enumerate() {
                pos[v] = i as f64;
            }
        }
        let c = crossings(&layers, &down, vs.len());
        if c < best_crossings {
            best_crossings = c;
            best = layers.clone();
        }
    }
    best
}

/// Edge crossings between adjacent ranks.
fn crossings(layers: &[Vec<usize>], down: &[Vec<usize>], n: usize) -> usize {
    let mut index = vec![0usize; n];
    for layer in layers {
        for (i, &v) in layer.iter().enumerate() {
            index[v] = i;
        }
    }
    let mut total = 0;
    for layer in layers {
        let mut segs: Vec<(usize, usize)> = Vec::new();
        for &v in layer {
            for &w in &down[v] {
                segs.push((index[v], index[w]));
            }
        }
        segs.sort_unstable();
        for i in 0..segs.len() {
            for j in i + 1..segs.len() {
                if segs[i].0 < segs[j].0 && segs[i].1 > segs[j].1 {
                    total += 1;
                }
            }
        }
    }
    total
}

/// Breadth coordinates (centres): each vertex pulled towards its neighbours' mean, rank by
/// rank, then the rank projected back onto "in order, never overlapping".
fn breadths(vs: &[Vertex], layers: &[Vec<usize>], chains: &[Vec<usize>]) -> Vec<f64> {
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); vs.len()];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); vs.len()];
    for chain in chains {
        for w in chain.windows(2) {
            if w[0] != w[1] {
                down[w[0]].push(w[1]);
                up[w[1]].push(w[0]);
            }
        }
    }
    let gap = |a: usize, b: usize| {
        let sep = if vs[a].dummy || vs[b].dummy {
            DUMMY_GAP
        } else {
            NODE_GAP
        };
        vs[a].breadth / 2.0 + sep + vs[b].breadth / 2.0
    };
    let mut pos = vec![0.0f64; vs.len()];
    for layer in layers {
        let mut at = 0.0;
        for (i, &v) in layer.iter().enumerate() {
            if i > 0 {
                at += gap(layer[i - 1], v);
            }
            pos[v] = at;
        }
    }
    for iter in 0..12 {
        let (ranks, both): (Vec<usize>, bool) = match iter % 3 {
            0 => ((0..layers.len()).collect(), false),
            1 => ((0..layers.len()).rev().collect(), false),
            _ => ((0..layers.len()).collect(), true),
        };
        for r in ranks {
            let layer = &layers[r];
            let desired: Vec<f64> = layer
                .iter()
                .map(|&v| {
                    let mut ns: Vec<usize> = match iter % 3 {
                        0 => up[v].clone(),
                        1 => down[v].clone(),
                        _ => Vec::new(),
                    };
                    if both {
                        ns.extend(&up[v]);
                        ns.extend(&down[v]);
                    }
                    match ns.is_empty() {
                        true => pos[v],
                        false => ns.iter().map(|&w| pos[w]).sum::<f64>() / ns.len() as f64,
                    }
                })
                .collect();
            let gaps: Vec<f64> = layer.windows(2).map(|w| gap(w[0], w[1])).collect();
            for (&v, x) in layer.iter().zip(project(&desired, &gaps)) {
                pos[v] = x;
            }
        }
    }
    pos
}

/// The positions nearest `desired` (least squares) with `x[i+1] - x[i] >= gaps[i]`: isotonic
/// regression of `desired - offsets` by pooling adjacent violators.
fn project(desired: &[f64], gaps: &[f64]) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(desired.len());
    let mut at = 0.0;
    for i in 0..desired.len() {
        if i > 0 {
            at += gaps[i - 1];
        }
        offsets.push(at);
    }
    // Blocks of (sum, count).
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for (d, o) in desired.iter().zip(&offsets) {
        blocks.push((d - o, 1));
        while blocks.len() >= 2 {
            let (s1, c1) = blocks[blocks.len() - 1];
            let (s0, c0) = blocks[blocks.len() - 2];
            if s0 / c0 as f64 <= s1 / c1 as f64 {
                break;
            }
            blocks.pop();
            let last = blocks.len() - 1;
            blocks[last] = (s0 + s1, c0 + c1);
        }
    }
    let mut out = Vec::with_capacity(desired.len());
    for (s, c) in blocks {
        for _ in 0..c {
            out.push(s / c as f64 + offsets[out.len()]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::project;

    #[test]
    fn projection_keeps_order_and_gaps_and_moves_least() {
        assert_eq!(project(&[0.0, 50.0], &[10.0]), vec![0.0, 50.0]);
        assert_eq!(project(&[5.0, 5.0], &[10.0]), vec![0.0, 10.0]);
        let x = project(&[3.0, 0.0, 0.0], &[2.0, 2.0]);
        assert_eq!(x, vec![-1.0, 1.0, 3.0]);
    }
}
