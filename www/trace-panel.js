// The Autocast trace panel: one row per op of the last training step of the right-hand run
// (Trainer.trace_json: [{name, op, inputs: [dtype], output}]), with its input and output dtypes.
// `inputs` are the dtypes the op consumed, after autocast's casts (a Linear's input, weight and
// bias: all f16 under 16-mixed, as torch's trace shows them). Renders a table only; the trace is
// recorded in Rust (crate/src/nn/amp_step.rs, with the policy of crate/src/amp/autocast.rs).

/**
 * Fills the table body with the trace; f16/bf16 dtypes are highlighted.
 * @param {HTMLTableElement} table
 * @param {{ name: string, op: string, inputs: string[], output: string }[]} trace
 * @param {string} precision the run's, for the empty table's text
 */
export function renderTrace(table, trace, precision) {
  /** @param {string} text @param {string} [cls] */
  const td = (text, cls) => {
    const el = document.createElement('td');
    el.textContent = text;
    if (cls) el.className = cls;
    return el;
  };
  /** @param {string} dt */
  const low = (dt) => (/16/.test(dt) ? 'low' : '');
  const rows = trace.map((e) => {
    const tr = document.createElement('tr');
    tr.append(td(e.op), td(e.name), td(e.inputs.join(', '), e.inputs.some(low) ? 'low' : ''), td(e.output, low(e.output)));
    return tr;
  });
  if (!rows.length) {
    const tr = document.createElement('tr');
    const cell = td(`No trace yet: take a step (${precision}).`);
    cell.colSpan = 4;
    tr.append(cell);
    rows.push(tr);
  }
  table.tBodies[0].replaceChildren(...rows);
  table.dataset.ops = String(trace.length);
}
