//! The kernel is the oracle: every case must pass on a real Linux directory. A case
//! the kernel fails has a wrong expectation.

use conformance::{cases, run_cases, KernelTarget, Outcome, Selection};

#[test]
fn every_case_passes_on_the_kernel() {
    let target = KernelTarget::new().expect("temporary directory");
    let selection = Selection {
        name_contains: std::env::var("CONFORMANCE_CASE").ok(),
    };
    let report = run_cases(&target, &cases::all(), &selection, &mut |name, outcome| {
        if let Outcome::Failed(failure) = outcome {
            eprintln!("FAIL {name}: {failure}");
        }
    });
    eprintln!("kernel: {}", report.summary());
    assert_eq!(report.failed(), 0, "{}", report.summary());
}
