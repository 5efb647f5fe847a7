//! Python values minijinja has no counterpart for, where a chat template can tell the
//! difference: `None` given as a variable (Python cannot iterate it), tuples (they print as
//! `('a', 1)`), and the generators Jinja2's `map`/`select` filters return (they cannot be
//! serialised by `tojson` or measured by `length`, and iterate once).

use std::fmt;
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

/// Python's `None` passed in as a variable (`tools=None`): false, printed `None`, `null`
/// in JSON, and — unlike minijinja's `none` — not iterable.
#[derive(Debug)]
pub struct PyNone;

impl Object for PyNone {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn is_true(self: &Arc<Self>) -> bool {
        false
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("None")
    }
}

/// A Python tuple (e.g. a pair from `dictsort`).
#[derive(Debug)]
pub struct PyTuple(pub Vec<Value>);

impl Object for PyTuple {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let index = key.as_i64()?;
        let len = self.0.len() as i64;
        let index = if index < 0 { index + len } else { index };
        usize::try_from(index)
            .ok()
            .and_then(|i| self.0.get(i))
            .cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.0.len())
    }
}

/// A Python generator: iterates once, has no length, and is always true.
#[derive(Debug)]
pub struct PyGenerator(Mutex<Option<Vec<Value>>>);

impl PyGenerator {
    /// A generator that will yield `items`.
    pub fn new_value(items: Vec<Value>) -> Value {
        Value::from_object(PyGenerator(Mutex::new(Some(items))))
    }
}

impl Object for PyGenerator {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let items = self
            .0
            .lock()
            .ok()
            .and_then(|mut slot| slot.take())
            .unwrap_or_default();
        Enumerator::Iter(Box::new(items.into_iter()))
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        None
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<generator object>")
    }
}

/// Whether `value` stands for Python's `None` (minijinja's `none` or a [`PyNone`]).
pub fn is_py_none(value: &Value) -> bool {
    value.is_none() || value.downcast_object_ref::<PyNone>().is_some()
}
