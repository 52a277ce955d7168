// Minimal ONNX model encoder for the bench: writes the protobuf bytes of a one-node ModelProto
// (MatMul, MatMulInteger, ...) by hand, so the peer benchmarks need neither Python nor a model
// file on disk. Only the handful of protobuf fields these models use are encoded; field numbers
// are those of onnx/onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).

/** ONNX TensorProto.DataType codes used here. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6 };

const BYTES_PER = { [DT.FLOAT]: 4, [DT.UINT8]: 1, [DT.INT8]: 1, [DT.INT32]: 4 };
const enc = new TextEncoder();

/** Unsigned LEB128 varint of a non-negative integer (up to 2^53). */
function varint(n) {
  const out = [];
  let v = BigInt(n);
  if (v < 0n) v = BigInt.asUintN(64, v); // int64 two's complement, as protobuf does
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

/** Concatenates arrays of bytes / Uint8Arrays into one Uint8Array. */
function cat(parts) {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Field encoders: wire type 0 = varint, 2 = length-delimited.
const tag = (field, wire) => varint((field << 3) | wire);
const fInt = (field, n) => cat([tag(field, 0), varint(n)]);
const fBytes = (field, bytes) => cat([tag(field, 2), varint(bytes.length), bytes]);
const fStr = (field, s) => fBytes(field, enc.encode(s));
const fMsg = fBytes;

/** Raw little-endian bytes of a typed array (the platform is little-endian here). */
function rawBytes(typed) {
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/**
 * TensorProto with raw_data. `data` is a typed array of dims' product elements (or one element
 * for a scalar, dims = []).
 */
export function tensor(name, dataType, dims, data) {
  const want = dims.reduce((a, b) => a * b, 1) * BYTES_PER[dataType];
  const raw = rawBytes(data);
  if (raw.length !== want) throw new Error(`tensor ${name}: ${raw.length} bytes, want ${want}`);
  return cat([...dims.map((d) => fInt(1, d)), fInt(2, dataType), fStr(8, name), fBytes(9, raw)]);
}

/** ValueInfoProto for a tensor input/output; a string dim is a symbolic dim_param. */
export function valueInfo(name, elemType, dims) {
  const dimMsgs = dims.map((d) => fMsg(1, typeof d === 'string' ? fStr(2, d) : fInt(1, d)));
  const shape = cat(dimMsgs);
  const tensorType = cat([fInt(1, elemType), fMsg(2, shape)]);
  const type = fMsg(1, tensorType);
  return cat([fStr(1, name), fMsg(2, type)]);
}

/** NodeProto without attributes. */
export function node(opType, inputs, outputs, name = opType) {
  return cat([...inputs.map((i) => fStr(1, i)), ...outputs.map((o) => fStr(2, o)), fStr(3, name),
    fStr(4, opType)]);
}

/**
 * A whole ModelProto: { nodes, inputs, outputs, initializers } are arrays of already-encoded
 * NodeProto / ValueInfoProto / TensorProto bytes. Default opset 13 with IR version 7.
 */
export function model({ nodes, inputs, outputs, initializers = [], opset = 13, irVersion = 7,
  graphName = 'bench' }) {
  const graph = cat([
    ...nodes.map((n) => fMsg(1, n)),
    fStr(2, graphName),
    ...initializers.map((t) => fMsg(5, t)),
    ...inputs.map((v) => fMsg(11, v)),
    ...outputs.map((v) => fMsg(12, v)),
  ]);
  const opsetId = cat([fStr(1, ''), fInt(2, opset)]);
  return cat([fInt(1, irVersion), fStr(2, 'quantplay-bench'), fMsg(7, graph), fMsg(8, opsetId)]);
}

/**
 * Y[m,n] = A[m,k] · B[k,n] in f32. With `b` (a Float32Array) B is an initializer (constant
 * weights, which ORT may prepack); otherwise it is a graph input like A.
 */
export function matMulModel(m, k, n, { b = null } = {}) {
  return model({
    nodes: [node('MatMul', ['A', 'B'], ['Y'])],
    inputs: [valueInfo('A', DT.FLOAT, [m, k]), ...(b ? [] : [valueInfo('B', DT.FLOAT, [k, n])])],
    outputs: [valueInfo('Y', DT.FLOAT, [m, n])],
    initializers: b ? [tensor('B', DT.FLOAT, [k, n], b)] : [],
  });
}

/**
 * Y[m,n] (int32) = (A[m,k] − aZero) · (B[k,n] − bZero) with A uint8 and B int8, scalar zero
 * points as initializers. With `b` (an Int8Array) B is an initializer too.
 */
export function matMulIntegerModel(m, k, n, { aZero, bZero, b = null }) {
  return model({
    nodes: [node('MatMulInteger', ['A', 'B', 'a_zero_point', 'b_zero_point'], ['Y'])],
    inputs: [valueInfo('A', DT.UINT8, [m, k]), ...(b ? [] : [valueInfo('B', DT.INT8, [k, n])])],
    outputs: [valueInfo('Y', DT.INT32, [m, n])],
    initializers: [
      tensor('a_zero_point', DT.UINT8, [], Uint8Array.of(aZero)),
      tensor('b_zero_point', DT.INT8, [], Int8Array.of(bZero)),
      ...(b ? [tensor('B', DT.INT8, [k, n], b)] : []),
    ],
  });
}
