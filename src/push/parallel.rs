//! Running transfers side by side with a fixed number of worker threads.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::error::PushError;

/// Runs `work` on every item with at most `workers` threads, returning results in item
/// order. After the first error no new item starts; running ones finish, and the first error
/// is returned.
pub fn run_parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    work: impl Fn(&T) -> Result<R, PushError> + Sync,
) -> Result<Vec<R>, PushError> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    let first_error: Mutex<Option<PushError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                while !failed.load(Ordering::SeqCst) {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(index) else { break };
                    match work(item) {
                        Ok(result) => {
                            if let Ok(mut results) = results.lock() {
                                results[index] = Some(result);
                            }
                        }
                        Err(err) => {
                            failed.store(true, Ordering::SeqCst);
                            if let Ok(mut slot) = first_error.lock() {
                                slot.get_or_insert(err);
                            }
                        }
                    }
                }
            });
        }
    });
    if let Some(err) = first_error.into_inner().ok().flatten() {
        return Err(err);
    }
    let results = results
        .into_inner()
        .map_err(|_| PushError::input("a transfer thread panicked"))?;
    results
        .into_iter()
        .map(|r| r.ok_or_else(|| PushError::input("a transfer thread panicked")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_stops_on_error() {
        let items: Vec<u32> = (0..20).collect();
        let doubled = run_parallel(&items, 4, |x| Ok(x * 2)).unwrap();
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        let err = run_parallel(&items, 3, |x| {
            if *x == 5 {
                Err(PushError::input("five"))
            } else {
                Ok(*x)
            }
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "five");
        assert!(
            run_parallel(&[] as &[u32], 4, |x| Ok(*x))
                .unwrap()
                .is_empty()
        );
    }
}
