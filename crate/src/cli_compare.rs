//! `quantplay quantize --compare-cpu`'s text table: calibration on the run's backend against
//! the CPU fast path's, per activation observer, and the int8 eval codes that differ. The JSON
//! form is the report's `calibration_vs_cpu` (`quant::eager::calib_compare`). Printing only.

use quantplay::quant::eager::calib_compare::CalibrationComparison;

/// Prints the comparison as a table.
pub fn print(c: &CalibrationComparison) {
    println!("calibration on {} vs cpu:", c.backend);
    println!(
        "{:<16} {:>14} {:>5} {:>14} {:>5} {:>10}",
        "observer",
        "cpu scale",
        "zp",
        &format!("{} scale", c.backend),
        "zp",
        "scale ulps"
    );
    for o in &c.observers {
        println!(
            "{:<16} {:>14.8e} {:>5} {:>14.8e} {:>5} {:>10}",
            o.path, o.cpu_scale, o.cpu_zero_point, o.scale, o.zero_point, o.scale_ulps
        );
    }
    println!(
        "{} of {} observers differ; {} of {} int8 eval codes differ between the two converted models",
        c.observers_differ,
        c.observers.len(),
        c.eval_codes_differ,
        c.eval_codes
    );
}
