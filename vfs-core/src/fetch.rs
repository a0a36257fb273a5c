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
//! makes the recorded call with `.await`, keeps the answer, and runs the function
//! again from the start, which this time gets that answer (and every earlier one)
//! from the fetch, so no call waited for is made twice. The functions must be
//! repeatable: they may change nothing but through the fetch, whose calls only
//! read.

use crate::attr::Attr;
use crate::errno::{Errno, Result};
use crate::mount::Location;
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

/// What a backend call asks.
#[derive(PartialEq, Eq)]
enum Ask {
    Getattr,
    Lookup(Name),
    Parent,
    Readlink,
}

/// A backend call a run could not get answered at once: `ask` of `node`, which
/// is node `ino` of mount `mount`. Calls are told apart by mount and inode
/// number, not by the `Arc` they are made on: a backend may hand out a new one
/// for the same node on every lookup, and a re-run must still find its answer.
struct Call {
    mount: u64,
    ino: u64,
    ask: Ask,
    node: Arc<dyn Vnode>,
}

impl Call {
    fn new(at: &Location, ask: Ask) -> Call {
        Call {
            mount: at.mount.id(),
            ino: at.vnode.ino(),
            ask,
            node: at.vnode.clone(),
        }
    }

    fn is(&self, at: &Location, ask: &Ask) -> bool {
        self.ino == at.vnode.ino() && self.mount == at.mount.id() && self.ask == *ask
    }

    async fn make(&self) -> Answer {
        match &self.ask {
            Ask::Getattr => Answer::Attr(self.node.getattr().await),
            Ask::Lookup(name) => Answer::Node(self.node.lookup(name).await),
            Ask::Parent => Answer::Node(self.node.parent().await),
            Ask::Readlink => Answer::Target(self.node.readlink().await),
        }
    }
}

#[derive(Clone)]
enum Answer {
    Attr(Result<Attr>),
    Node(Result<Arc<dyn Vnode>>),
    Target(Result<Vec<u8>>),
}

/// The backend calls of one run: answered by waits of earlier runs of the same
/// operation, or by the backend on the spot, or recorded as the call to wait for.
#[derive(Default)]
pub(crate) struct Fetch {
    /// The calls earlier runs waited for, with their answers.
    waited: Vec<(Call, Answer)>,
    /// The call this run gave up on.
    wanted: Option<Call>,
}

impl Fetch {
    /// The answer an earlier run waited for to `ask` of `at`.
    fn waited(&self, at: &Location, ask: &Ask) -> Option<Answer> {
        self.waited
            .iter()
            .find(|(call, _)| call.is(at, ask))
            .map(|(_, answer)| answer.clone())
    }

    fn want<T>(&mut self, at: &Location, ask: Ask) -> Option<T> {
        self.wanted = Some(Call::new(at, ask));
        None
    }

    /// True while every answer came from the backend on the spot, none from an
    /// earlier run's wait (which may predate what this run read before it).
    pub fn waited_nothing(&self) -> bool {
        self.waited.is_empty()
    }

    /// [`Vnode::getattr`] of the node at `at`.
    pub fn getattr(&mut self, at: &Location) -> Option<Result<Attr>> {
        if let Some(Answer::Attr(attr)) = self.waited(at, &Ask::Getattr) {
            return Some(attr);
        }
        at.vnode
            .getattr_now()
            .or_else(|| self.want(at, Ask::Getattr))
    }

    /// [`Vnode::lookup`] of `name` in the directory at `dir`.
    pub fn lookup(&mut self, dir: &Location, name: &Name) -> Option<Result<Arc<dyn Vnode>>> {
        if !self.waited.is_empty() {
            if let Some(Answer::Node(node)) = self.waited(dir, &Ask::Lookup(name.clone())) {
                return Some(node);
            }
        }
        dir.vnode
            .lookup_now(name)
            .or_else(|| self.want(dir, Ask::Lookup(name.clone())))
    }

    /// [`Vnode::parent`] of the directory at `dir`, which has no answer on the
    /// spot.
    pub fn parent(&mut self, dir: &Location) -> Option<Result<Arc<dyn Vnode>>> {
        match self.waited(dir, &Ask::Parent) {
            Some(Answer::Node(parent)) => Some(parent),
            _ => self.want(dir, Ask::Parent),
        }
    }

    /// [`Vnode::readlink`] of the symlink at `link`, which has no answer on the
    /// spot.
    pub fn readlink(&mut self, link: &Location) -> Option<Result<Vec<u8>>> {
        match self.waited(link, &Ask::Readlink) {
            Some(Answer::Target(target)) => Some(target),
            _ => self.want(link, Ask::Readlink),
        }
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
    let mut fetch = Fetch::default();
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
        fetch.waited.push((call, answer));
    }
}
