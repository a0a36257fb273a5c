//! One piece of code for a path operation, run without futures when every backend
//! call on its way answers at once, and under `.await` when one has to wait.
//!
//! A path walk on an in-memory backend, or on NFS with warm caches, never waits:
//! every `lookup` and `getattr` has its answer on the spot (`lookup_now`,
//! `getattr_now`). Running it as nested `async fn`s then costs more than the work
//! itself. So the walk and the checks around it are written as plain functions
//! that make their backend calls through a [`Fetch`]: it answers from the
//! backend's `_now` methods, or records the one call it could not answer and makes
//! the function give up (`None`, the `_now` convention).
//!
//! [`now`] runs such a function once and hands its `None` to the caller, which then
//! takes the `async` path; [`drive`] runs it to completion: after each give-up it
//! makes the recorded call with `.await`, and runs the function again from the
//! start, which this time gets every answer of the earlier runs (waited for or
//! not) from the fetch, so each backend call is made once per operation. The
//! functions must be repeatable: they may change nothing but through the fetch,
//! whose calls only read.

use crate::attr::Attr;
use crate::errno::{Errno, Result};
use crate::name::Name;
use crate::vnode::Vnode;
use std::sync::Arc;

/// Unwraps an `Option<Result<T>>` from a give-up-able call inside a function that
/// itself returns `Option<Result<U>>`: gives up on `None`, returns the error on
/// `Err`.
macro_rules! now_try {
    ($call:expr) => {
        match $call? {
            Ok(value) => value,
            Err(error) => return Some(Err(error.into())),
        }
    };
}
pub(crate) use now_try;

/// A backend call a run could not get answered at once.
#[derive(Clone)]
enum Call {
    Getattr(Arc<dyn Vnode>),
    Lookup(Arc<dyn Vnode>, Name),
    Parent(Arc<dyn Vnode>),
    Readlink(Arc<dyn Vnode>),
}

impl Call {
    fn is(&self, other: &Call) -> bool {
        match (self, other) {
            (Call::Getattr(a), Call::Getattr(b))
            | (Call::Parent(a), Call::Parent(b))
            | (Call::Readlink(a), Call::Readlink(b)) => Arc::ptr_eq(a, b),
            (Call::Lookup(a, x), Call::Lookup(b, y)) => Arc::ptr_eq(a, b) && x == y,
            _ => false,
        }
    }

    async fn make(&self) -> Answer {
        match self {
            Call::Getattr(node) => Answer::Attr(node.getattr().await),
            Call::Lookup(dir, name) => Answer::Node(dir.lookup(name).await),
            Call::Parent(dir) => Answer::Node(dir.parent().await),
            Call::Readlink(link) => Answer::Target(link.readlink().await),
        }
    }
}

#[derive(Clone)]
enum Answer {
    Attr(Result<Attr>),
    Node(Result<Arc<dyn Vnode>>),
    Target(Result<Vec<u8>>),
}

impl Answer {
    fn attr(self) -> Option<Result<Attr>> {
        match self {
            Answer::Attr(attr) => Some(attr),
            _ => None,
        }
    }

    fn node(self) -> Option<Result<Arc<dyn Vnode>>> {
        match self {
            Answer::Node(node) => Some(node),
            _ => None,
        }
    }

    fn target(self) -> Option<Result<Vec<u8>>> {
        match self {
            Answer::Target(target) => Some(target),
            _ => None,
        }
    }
}

/// The backend calls of one run: answered by earlier runs of the same operation,
/// or by the backend on the spot, or recorded as the call to wait for.
#[derive(Default)]
pub(crate) struct Fetch {
    /// Every call an earlier run made, with its answer, when the operation may
    /// run again ([`drive`]): a re-run then meets the very nodes it met before
    /// (a backend may hand out a new `Arc` for the same node on each call, and
    /// the calls are told apart by the nodes they are made on).
    answered: Vec<(Call, Answer)>,
    recording: bool,
    /// The call this run gave up on.
    wanted: Option<Call>,
}

impl Fetch {
    /// `call`'s answer: an earlier run's, else `now`'s (recorded when
    /// recording), else `None` with `call` as the one to wait for.
    fn ask<T>(
        &mut self,
        call: impl FnOnce() -> Call,
        now: impl FnOnce() -> Option<T>,
        answer: fn(T) -> Answer,
        unwrap: fn(Answer) -> Option<T>,
    ) -> Option<T> {
        if !self.recording {
            // One run and done (`now`): nothing to remember.
            return now().or_else(|| {
                self.wanted = Some(call());
                None
            });
        }
        let call = call();
        if let Some((_, earlier)) = self.answered.iter().find(|(made, _)| made.is(&call)) {
            return unwrap(earlier.clone());
        }
        match now() {
            Some(at_once) => {
                let kept = answer(at_once);
                self.answered.push((call, kept.clone()));
                unwrap(kept)
            }
            None => {
                self.wanted = Some(call);
                None
            }
        }
    }

    /// [`Vnode::getattr`] of `node`.
    pub fn getattr(&mut self, node: &Arc<dyn Vnode>) -> Option<Result<Attr>> {
        self.ask(
            || Call::Getattr(node.clone()),
            || node.getattr_now(),
            Answer::Attr,
            Answer::attr,
        )
    }

    /// [`Vnode::lookup`] of `name` in `dir`.
    pub fn lookup(&mut self, dir: &Arc<dyn Vnode>, name: &Name) -> Option<Result<Arc<dyn Vnode>>> {
        self.ask(
            || Call::Lookup(dir.clone(), name.clone()),
            || dir.lookup_now(name),
            Answer::Node,
            Answer::node,
        )
    }

    /// [`Vnode::parent`] of `dir`, which has no answer on the spot.
    pub fn parent(&mut self, dir: &Arc<dyn Vnode>) -> Option<Result<Arc<dyn Vnode>>> {
        self.ask(
            || Call::Parent(dir.clone()),
            || None,
            Answer::Node,
            Answer::node,
        )
    }

    /// [`Vnode::readlink`] of `link`, which has no answer on the spot.
    pub fn readlink(&mut self, link: &Arc<dyn Vnode>) -> Option<Result<Vec<u8>>> {
        self.ask(
            || Call::Readlink(link.clone()),
            || None,
            Answer::Target,
            Answer::target,
        )
    }
}

/// Runs `run` once without waiting: its answer, or `None` when some backend call
/// on its way would have to wait.
pub(crate) fn now<T>(run: impl FnOnce(&mut Fetch) -> Option<T>) -> Option<T> {
    run(&mut Fetch::default())
}

/// Runs `run` to completion, waiting for each backend call it gives up on and
/// running it again with the answer.
pub(crate) async fn drive<T>(mut run: impl FnMut(&mut Fetch) -> Option<Result<T>>) -> Result<T> {
    let mut fetch = Fetch {
        recording: true,
        ..Fetch::default()
    };
    loop {
        if let Some(done) = run(&mut fetch) {
            return done;
        }
        let Some(call) = fetch.wanted.take() else {
            return Err(
                Errno::EIO.with("a path operation gave up without a backend call to wait for")
            );
        };
        let answer = call.make().await;
        fetch.answered.push((call, answer));
    }
}
