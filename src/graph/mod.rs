//! The graph of a definition, as the AWS console draws it: every state a node, its `Next`,
//! `Default`, Choice-rule and `Catch` transitions as edges, Parallel branches and Map
//! processors as nested containers (to any depth), and a start and an end marker in every
//! container.
//!
//! Built from the validated [`model`](crate::asl::model), so every edge names a state of its
//! own container (ASL transitions never leave their scope). Rendered by `aslx graph` as
//! Graphviz DOT and Mermaid text ([`Graph::to_dot`], [`Graph::to_mermaid`]) and as an SVG
//! file laid out here ([`Graph::to_svg`]: a layered, dagre-like layout of the compound graph,
//! see `layout.rs`).
//!
//! ```
//! use aslx::graph::{Direction, Graph};
//! use aslx::MachineType;
//! let g = Graph::from_definition(
//!     r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}"#,
//!     MachineType::Standard,
//! ).unwrap();
//! assert_eq!(g.root.nodes[0].name, "A");
//! assert!(g.to_mermaid(Direction::TopBottom).contains("s1[\"A\"]"));
//! ```

mod cond;
mod layout;
mod svg;
mod text;

use crate::asl::model::{Catcher, Scope as AslScope, State, StateKind, StateMachine, Transition};
use crate::asl::{parse_definition, DefinitionError, MachineType};

/// Which way the flow runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    /// Top to bottom (the AWS console's way), `TB`.
    #[default]
    TopBottom,
    /// Left to right, `LR`.
    LeftRight,
}

impl std::str::FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Direction, String> {
        match s {
            "TB" | "tb" | "TD" | "td" => Ok(Direction::TopBottom),
            "LR" | "lr" => Ok(Direction::LeftRight),
            _ => Err(format!("expected TB or LR, found {s:?}")),
        }
    }
}

/// The graph of a whole definition.
#[derive(Clone, Debug)]
pub struct Graph {
    /// The top-level container.
    pub root: Container,
}

/// One `StartAt` + `States` scope: the top level, a Parallel branch or a Map processor.
#[derive(Clone, Debug)]
pub struct Container {
    /// Unique id (`root`, `s3_b0` for branch 1 of state `s3`, `s5_p` for a Map's processor).
    pub id: String,
    /// What the container is (`Branch 1`, `ItemProcessor`); `None` for the top level.
    pub label: Option<String>,
    /// The id of this container's start marker (`<id>_start`).
    pub start: String,
    /// The id of this container's end marker (`<id>_end`).
    pub end: String,
    /// The states, in definition order.
    pub nodes: Vec<Node>,
    /// Transitions among this container's states and markers, in definition order.
    pub edges: Vec<Edge>,
}

/// One state.
#[derive(Clone, Debug)]
pub struct Node {
    /// Unique id (`s1`, `s2`, ...: a container's states in definition order, then their
    /// children's).
    pub id: String,
    /// The state's name.
    pub name: String,
    /// `Pass`, `Task`, `Choice`, `Wait`, `Succeed`, `Fail`, `Parallel` or `Map`.
    pub state_type: &'static str,
    /// Where the state is in the definition (JSON pointer).
    pub location: String,
    /// A Task's `Resource`.
    pub resource: Option<String>,
    /// A Parallel state's branches, a Map state's processor; empty for the others.
    pub children: Vec<Container>,
}

/// A transition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Source node or start marker id.
    pub from: String,
    /// Target node or end marker id.
    pub to: String,
    /// What kind of transition.
    pub kind: EdgeKind,
}

/// What a transition is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// From the start marker to `StartAt`.
    Start,
    /// `Next`.
    Next,
    /// `End: true`, or a Succeed or Fail state: to the end marker.
    End,
    /// A Choice rule's `Next` (`rule` counts from 0), with its condition in short.
    Choice {
        /// The rule's index in `Choices`.
        rule: usize,
        /// The condition, shortened (`$.kind == "a"`).
        condition: String,
    },
    /// A Choice state's `Default`.
    Default,
    /// A catcher's `Next`, with its `ErrorEquals`.
    Catch {
        /// The error names.
        errors: Vec<String>,
    },
}

impl EdgeKind {
    /// The label drawn on the edge (empty for none).
    pub fn label(&self) -> String {
        match self {
            EdgeKind::Start | EdgeKind::Next | EdgeKind::End => String::new(),
            EdgeKind::Choice { condition, .. } => condition.clone(),
            EdgeKind::Default => "Default".into(),
            EdgeKind::Catch { errors } => errors.join(", "),
        }
    }
}

impl Graph {
    /// Parses and validates `definition`, then builds its graph.
    ///
    /// # Errors
    ///
    /// Every finding of an invalid definition, as [`parse_definition`] reports them.
    pub fn from_definition(definition: &str, t: MachineType) -> Result<Graph, DefinitionError> {
        Ok(Graph::from_model(&parse_definition(definition, t)?))
    }

    /// The graph of a validated model.
    pub fn from_model(machine: &StateMachine) -> Graph {
        let mut next_id = 0;
        Graph {
            root: container(&machine.scope, "root".into(), None, &mut next_id),
        }
    }

    /// Every state of every container, depth first.
    pub fn nodes(&self) -> Vec<&Node> {
        fn walk<'a>(c: &'a Container, out: &mut Vec<&'a Node>) {
            for n in &c.nodes {
                out.push(n);
                for child in &n.children {
                    walk(child, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// Graphviz DOT text (`dot -Tsvg` draws it): containers as clusters.
    pub fn to_dot(&self, direction: Direction) -> String {
        text::dot(self, direction)
    }

    /// Mermaid flowchart text (renders in GitHub and GitLab Markdown): containers as
    /// subgraphs.
    pub fn to_mermaid(&self, direction: Direction) -> String {
        text::mermaid(self, direction)
    }

    /// A standalone SVG document, laid out in layers (see the module docs).
    pub fn to_svg(&self, direction: Direction) -> String {
        svg::render(self, direction)
    }
}

fn container(scope: &AslScope, id: String, label: Option<String>, next: &mut usize) -> Container {
    // Ids first, so that edges can name states defined later.
    let ids: Vec<String> = scope
        .states
        .iter()
        .map(|_| {
            *next += 1;
            format!("s{next}")
        })
        .collect();
    let id_of = |name: &str| -> Option<String> {
        let i = scope.states.iter().position(|s| *s.name == *name)?;
        Some(ids[i].clone())
    };
    let start = format!("{id}_start");
    let end = format!("{id}_end");
    let mut edges = Vec::new();
    if let Some(to) = id_of(&scope.start_at) {
        edges.push(edge(&start, to, EdgeKind::Start));
    }
    let mut nodes = Vec::with_capacity(scope.states.len());
    for (state, sid) in scope.states.iter().zip(&ids) {
        // Children take their ids after this state's siblings, depth first.
        let children = children(state, sid, next);
        transitions(state, sid, &end, &id_of, &mut edges);
        nodes.push(Node {
            id: sid.clone(),
            name: state.name.to_string(),
            state_type: state.kind.type_name(),
            location: state.location.clone(),
            resource: match &state.kind {
                StateKind::Task(t) => Some(t.resource.to_string()),
                _ => None,
            },
            children,
        });
    }
    Container {
        id,
        label,
        start,
        end,
        nodes,
        edges,
    }
}

fn children(state: &State, sid: &str, next: &mut usize) -> Vec<Container> {
    match &state.kind {
        StateKind::Parallel(p) => p
            .branches
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let label = format!("Branch {}", i + 1);
                container(b, format!("{sid}_b{i}"), Some(label), next)
            })
            .collect(),
        StateKind::Map(m) => {
            let label = match (&m.label, m.distributed) {
                (Some(l), _) => format!("ItemProcessor ({l})"),
                (None, true) => "ItemProcessor (distributed)".to_string(),
                (None, false) => "ItemProcessor".to_string(),
            };
            vec![container(
                &m.processor,
                format!("{sid}_p"),
                Some(label),
                next,
            )]
        }
        _ => Vec::new(),
    }
}

fn transitions(
    state: &State,
    sid: &str,
    end: &str,
    id_of: &dyn Fn(&str) -> Option<String>,
    edges: &mut Vec<Edge>,
) {
    match &state.kind {
        StateKind::Choice(c) => {
            for (rule, r) in c.choices.iter().enumerate() {
                if let Some(to) = id_of(&r.next) {
                    let condition = cond::short(&r.condition);
                    edges.push(edge(sid, to, EdgeKind::Choice { rule, condition }));
                }
            }
            if let Some(to) = c.default.as_deref().and_then(id_of) {
                edges.push(edge(sid, to, EdgeKind::Default));
            }
        }
        StateKind::Succeed | StateKind::Fail(_) => edges.push(edge(sid, end.into(), EdgeKind::End)),
        _ => match &state.transition {
            Transition::Next(n) => {
                if let Some(to) = id_of(n) {
                    edges.push(edge(sid, to, EdgeKind::Next));
                }
            }
            Transition::End => edges.push(edge(sid, end.into(), EdgeKind::End)),
            Transition::None => {}
        },
    }
    for Catcher {
        error_equals, next, ..
    } in &state.io.catch
    {
        if let Some(to) = id_of(next) {
            let errors = error_equals.iter().map(|e| e.to_string()).collect();
            edges.push(edge(sid, to, EdgeKind::Catch { errors }));
        }
    }
}

fn edge(from: &str, to: String, kind: EdgeKind) -> Edge {
    Edge {
        from: from.into(),
        to,
        kind,
    }
}
