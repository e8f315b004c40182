//! Finding a request's route, as API Gateway finds a method: first the resource (the path),
//! most specific first — segment by segment from the left, a literal beats a `{param}`, which
//! beats a greedy `{param+}` — then the method on it (its own, else `ANY`). A path with routes
//! but none for the method is 405, not a fall-back to a less specific path.

use super::input::percent_decode;
use super::spec::{PathTemplate, RouteSpec, Segment};
use http::Method;
use std::borrow::Cow;

/// One path and its routes.
#[derive(Debug)]
pub(crate) struct Resource {
    pub template: PathTemplate,
    /// `resourceId` of the request context: stable for a path.
    pub id: String,
    routes: Vec<RouteSpec>,
}

/// Every route, by resource, the most specific resource first.
#[derive(Debug)]
pub(crate) struct Table {
    resources: Vec<Resource>,
}

/// What a request found.
pub(crate) enum Lookup<'a> {
    /// Its route, the resource, and the path parameters (decoded, in template order).
    Route(&'a RouteSpec, &'a Resource, Vec<(&'a str, String)>),
    /// The path has routes, none for this method: the methods it has.
    WrongMethod(Vec<&'a str>),
    /// No route has this path.
    Nothing,
}

impl Table {
    /// Groups `specs` by path.
    ///
    /// # Errors
    ///
    /// A method and path given twice, or two paths that differ only in parameter names
    /// (`/o/{id}` and `/o/{key}` would match the same requests).
    pub(crate) fn new(specs: Vec<RouteSpec>) -> Result<Table, String> {
        let mut resources: Vec<Resource> = Vec::new();
        for spec in specs {
            let shape = spec.path.shape();
            match resources.iter_mut().find(|r| r.template.shape() == shape) {
                Some(r) if r.template != spec.path => {
                    return Err(format!(
                        "route {:?} and route {:?} have the same path with other parameter names",
                        r.routes[0].key(),
                        spec.key()
                    ));
                }
                Some(r) => {
                    if r.routes.iter().any(|o| o.method == spec.method) {
                        return Err(format!("route {:?} is given twice", spec.key()));
                    }
                    r.routes.push(spec);
                }
                None => resources.push(Resource {
                    id: resource_id(&shape),
                    template: spec.path.clone(),
                    routes: vec![spec],
                }),
            }
        }
        resources.sort_by_cached_key(|r| rank(&r.template));
        Ok(Table { resources })
    }

    /// How many routes.
    pub(crate) fn len(&self) -> usize {
        self.resources.iter().map(|r| r.routes.len()).sum()
    }

    /// The route for `method` on `path` (the request's path, undecoded).
    pub(crate) fn find(&self, method: &Method, path: &str) -> Lookup<'_> {
        let segs: Vec<Cow<'_, str>> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let Some((resource, params)) = self
            .resources
            .iter()
            .find_map(|r| matches(&r.template, &segs).map(|p| (r, p)))
        else {
            return Lookup::Nothing;
        };
        let own = resource
            .routes
            .iter()
            .find(|r| r.method.as_ref() == Some(method));
        match own.or_else(|| resource.routes.iter().find(|r| r.method.is_none())) {
            Some(route) => Lookup::Route(route, resource, params),
            None => Lookup::WrongMethod(
                resource
                    .routes
                    .iter()
                    .filter_map(|r| r.method.as_ref().map(Method::as_str))
                    .collect(),
            ),
        }
    }
}

/// The path parameters when `t` matches the request's segments.
fn matches<'a>(t: &'a PathTemplate, segs: &[Cow<'_, str>]) -> Option<Vec<(&'a str, String)>> {
    let mut params = Vec::new();
    for (i, seg) in t.segments.iter().enumerate() {
        let got = segs.get(i)?;
        match seg {
            Segment::Literal(l) if l == got => {}
            Segment::Literal(_) => return None,
            Segment::Param(n) => params.push((n.as_str(), got.to_string())),
            Segment::Greedy(n) => {
                params.push((n.as_str(), segs[i..].join("/")));
                return Some(params);
            }
        }
    }
    (segs.len() == t.segments.len()).then_some(params)
}

/// Sorts the most specific path first: per segment, literal (0) before parameter (1) before
/// greedy (2), compared from the left.
fn rank(t: &PathTemplate) -> Vec<u8> {
    t.segments
        .iter()
        .map(|s| match s {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 2,
        })
        .collect()
}

/// Ten characters, lower-case letters and digits, as API Gateway's resource ids look: FNV-1a of
/// the path's shape, so the same routes give the same ids on every start.
fn resource_id(shape: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in shape.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..10)
        .map(|_| {
            let c = DIGITS[(h % 36) as usize] as char;
            h /= 36;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(specs: &[&str]) -> Table {
        Table::new(specs.iter().map(|s| RouteSpec::parse(s).unwrap()).collect()).unwrap()
    }

    fn found(t: &Table, method: Method, path: &str) -> String {
        match t.find(&method, path) {
            Lookup::Route(r, _, p) => format!("{} {:?}", r.key(), p),
            Lookup::WrongMethod(m) => format!("405 {m:?}"),
            Lookup::Nothing => "404".into(),
        }
    }

    #[test]
    fn the_most_specific_path_wins_then_the_method() {
        let t = table(&[
            "ANY /{proxy+}=M:sync",
            "GET /o/{id}=M:sync",
            "POST /o/new=M:sync",
            "GET /o/{id}/items/{rest+}=M:sync",
            "GET /=M:sync",
        ]);
        assert_eq!(t.len(), 5);
        assert_eq!(
            found(&t, Method::GET, "/o/7"),
            r#"GET /o/{id} [("id", "7")]"#
        );
        assert_eq!(found(&t, Method::POST, "/o/new"), "POST /o/new []");
        // The literal path wins; it has no GET, and that is final.
        assert_eq!(found(&t, Method::GET, "/o/new"), r#"405 ["POST"]"#);
        assert_eq!(found(&t, Method::POST, "/o/7"), r#"405 ["GET"]"#);
        assert_eq!(
            found(&t, Method::GET, "/o/a%20b/items/x/y%2Fz"),
            r#"GET /o/{id}/items/{rest+} [("id", "a b"), ("rest", "x/y/z")]"#
        );
        assert_eq!(
            found(&t, Method::DELETE, "/x/y"),
            r#"ANY /{proxy+} [("proxy", "x/y")]"#
        );
        assert_eq!(found(&t, Method::GET, "/"), "GET / []");
        assert_eq!(found(&t, Method::POST, "/"), r#"405 ["GET"]"#);
        // Empty segments are not segments.
        assert_eq!(
            found(&t, Method::GET, "//o//7/"),
            r#"GET /o/{id} [("id", "7")]"#
        );
    }

    #[test]
    fn a_greedy_parameter_needs_a_segment() {
        let t = table(&["GET /files/{path+}=M:sync"]);
        assert_eq!(found(&t, Method::GET, "/files"), "404");
        assert_eq!(found(&t, Method::GET, "/other/x"), "404");
        assert_eq!(
            found(&t, Method::GET, "/files/a"),
            r#"GET /files/{path+} [("path", "a")]"#
        );
    }

    #[test]
    fn duplicate_and_clashing_routes_are_refused() {
        let specs = |v: &[&str]| v.iter().map(|s| RouteSpec::parse(s).unwrap()).collect();
        let e = Table::new(specs(&["GET /o=M:sync", "get /o=N:async"])).unwrap_err();
        assert_eq!(e, r#"route "GET /o" is given twice"#);
        let e = Table::new(specs(&["GET /o/{id}=M:sync", "POST /o/{key}=M:sync"])).unwrap_err();
        assert!(e.contains("same path with other parameter names"), "{e}");
        assert!(Table::new(specs(&["GET /o/{id}=M:sync", "POST /o/{id}=M:sync"])).is_ok());
    }

    #[test]
    fn resource_ids_are_stable_and_differ_by_path() {
        let a = resource_id("/o/{}");
        assert_eq!(a, resource_id("/o/{}"));
        assert_eq!(a.len(), 10);
        assert_ne!(a, resource_id("/o"));
    }
}
