/**
 * The parts of an ONNX file (a protocol-buffers `ModelProto`, onnx/onnx.proto) that a tree ensemble needs: the
 * graph's nodes with their attributes, its inputs and outputs, the opsets and the producer. Decoded with `pbf`
 * (a small, dependency-light protobuf reader: ~0.4 MB with its dependencies, where protobufjs and the ONNX schema
 * would add ~4 MB); fields are read by their numbers in onnx.proto, every other field is skipped.
 */
import Pbf from 'pbf';

export interface OnnxTensor {
  dims: number[];
  dataType: number;
  /** The values as numbers (float, double or integer types), from the typed fields or `raw_data`. */
  values: number[];
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
  strings: string[];
}

export interface OnnxNode {
  inputs: string[];
  outputs: string[];
  name: string;
  opType: string;
  domain: string;
  attributes: Map<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType of a tensor (0 when not a tensor: a sequence or a map). */
  elemType: number;
  /** Its shape: a number, a symbolic name, or null for an unknown dimension; null for no shape at all. */
  shape: Array<number | string | null> | null;
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  /** Domain ('' for the default ONNX domain) → opset version. */
  opsets: Map<string, number>;
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Names of the graph's initializers (constants, which also may appear among the inputs). */
  initializers: Set<string>;
}

export const DATA_TYPE = { FLOAT: 1, INT32: 6, INT64: 7, STRING: 8, DOUBLE: 11 } as const;

type FieldReader<T> = (tag: number, result: T, pbf: Pbf) => void;

/** A nested message, its declared length checked against the buffer (pbf would read past a lying length). */
function message<T>(pbf: Pbf, read: FieldReader<T>, result: T): T {
  const end = pbf.readVarint() + pbf.pos;
  if (end > pbf.length) throw new Error('a message runs past the end of the file');
  return pbf.readFields((tag, into, reader) => read(tag, into as T, reader as Pbf), result, end);
}

const text = (pbf: Pbf): string => pbf.readString();

function readTensor(tag: number, tensor: OnnxTensor & { raw?: Uint8Array }, pbf: Pbf): void {
  if (tag === 1) pbf.readPackedVarint(tensor.dims, true);
  else if (tag === 2) tensor.dataType = pbf.readVarint();
  else if (tag === 4) pbf.readPackedFloat(tensor.values);
  else if (tag === 10) pbf.readPackedDouble(tensor.values);
  else if (tag === 5 || tag === 7) pbf.readPackedVarint(tensor.values, true);
  else if (tag === 9) tensor.raw = pbf.readBytes();
}

/** A TensorProto's values, from `raw_data` (little-endian) when the typed fields are empty. */
function tensorOf(pbf: Pbf): OnnxTensor {
  const tensor = message<OnnxTensor & { raw?: Uint8Array }>(pbf, readTensor, { dims: [], dataType: 0, values: [] });
  if (tensor.raw !== undefined && tensor.values.length === 0) {
    const raw = tensor.raw;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const size = tensor.dataType === DATA_TYPE.FLOAT || tensor.dataType === DATA_TYPE.INT32 ? 4 : 8;
    for (let at = 0; at + size <= raw.byteLength; at += size) {
      if (tensor.dataType === DATA_TYPE.FLOAT) tensor.values.push(view.getFloat32(at, true));
      else if (tensor.dataType === DATA_TYPE.DOUBLE) tensor.values.push(view.getFloat64(at, true));
      else if (tensor.dataType === DATA_TYPE.INT32) tensor.values.push(view.getInt32(at, true));
      else if (tensor.dataType === DATA_TYPE.INT64) tensor.values.push(Number(view.getBigInt64(at, true)));
    }
  }
  return { dims: tensor.dims, dataType: tensor.dataType, values: tensor.values };
}

function readAttribute(tag: number, attribute: OnnxAttribute, pbf: Pbf): void {
  if (tag === 1) attribute.name = text(pbf);
  else if (tag === 20) attribute.type = pbf.readVarint();
  else if (tag === 2) attribute.f = pbf.readFloat();
  else if (tag === 3) attribute.i = pbf.readVarint(true);
  else if (tag === 4) attribute.s = text(pbf);
  else if (tag === 5) attribute.t = tensorOf(pbf);
  else if (tag === 7) pbf.readPackedFloat(attribute.floats);
  else if (tag === 8) pbf.readPackedVarint(attribute.ints, true);
  else if (tag === 9) attribute.strings.push(text(pbf));
}

function readNode(tag: number, node: OnnxNode, pbf: Pbf): void {
  if (tag === 1) node.inputs.push(text(pbf));
  else if (tag === 2) node.outputs.push(text(pbf));
  else if (tag === 3) node.name = text(pbf);
  else if (tag === 4) node.opType = text(pbf);
  else if (tag === 7) node.domain = text(pbf);
  else if (tag === 5) {
    const attribute = message<OnnxAttribute>(pbf, readAttribute, { name: '', type: 0, floats: [], ints: [], strings: [] });
    node.attributes.set(attribute.name, attribute);
  }
}

function readDimension(tag: number, dim: { value: number | string | null }, pbf: Pbf): void {
  if (tag === 1) dim.value = pbf.readVarint(true);
  else if (tag === 2) dim.value = text(pbf);
}

function readShape(tag: number, shape: Array<number | string | null>, pbf: Pbf): void {
  if (tag === 1) shape.push(message(pbf, readDimension, { value: null as number | string | null }).value);
}

function readTensorType(tag: number, info: OnnxValueInfo, pbf: Pbf): void {
  if (tag === 1) info.elemType = pbf.readVarint();
  else if (tag === 2) info.shape = message(pbf, readShape, [] as Array<number | string | null>);
}

function readType(tag: number, info: OnnxValueInfo, pbf: Pbf): void {
  if (tag === 1) message(pbf, readTensorType, info);
}

function readValueInfo(tag: number, info: OnnxValueInfo, pbf: Pbf): void {
  if (tag === 1) info.name = text(pbf);
  else if (tag === 2) message(pbf, readType, info);
}

function readGraph(tag: number, model: OnnxModel, pbf: Pbf): void {
  if (tag === 1) model.nodes.push(message<OnnxNode>(pbf, readNode, { inputs: [], outputs: [], name: '', opType: '', domain: '', attributes: new Map() }));
  else if (tag === 11 || tag === 12) {
    const info = message<OnnxValueInfo>(pbf, readValueInfo, { name: '', elemType: 0, shape: null });
    (tag === 11 ? model.inputs : model.outputs).push(info);
  } else if (tag === 5) {
    model.initializers.add(message(pbf, (t, named: { name: string }, p) => { if (t === 8) named.name = text(p); }, { name: '' }).name);
  }
}

function readOpset(tag: number, opset: { domain: string; version: number }, pbf: Pbf): void {
  if (tag === 1) opset.domain = text(pbf);
  else if (tag === 2) opset.version = pbf.readVarint(true);
}

function readModel(tag: number, model: OnnxModel & { hasGraph: boolean }, pbf: Pbf): void {
  if (tag === 1) model.irVersion = pbf.readVarint(true);
  else if (tag === 2) model.producerName = text(pbf);
  else if (tag === 3) model.producerVersion = text(pbf);
  else if (tag === 8) {
    const opset = message(pbf, readOpset, { domain: '', version: 0 });
    model.opsets.set(opset.domain === 'ai.onnx' ? '' : opset.domain, opset.version);
  } else if (tag === 7) {
    model.hasGraph = true;
    message(pbf, readGraph, model);
  }
}

/** Decodes an ONNX ModelProto; throws on bytes that are not one. */
export function readOnnxModel(bytes: Uint8Array): OnnxModel {
  const pbf = new Pbf(bytes);
  const model = pbf.readFields((tag, into, reader) => readModel(tag, into as OnnxModel & { hasGraph: boolean }, reader as Pbf), {
    irVersion: 0, producerName: '', producerVersion: '', opsets: new Map(), nodes: [], inputs: [], outputs: [], initializers: new Set(), hasGraph: false,
  } as OnnxModel & { hasGraph: boolean });
  if (pbf.pos !== bytes.length) throw new Error('the protobuf message does not end where the file does');
  if (!model.hasGraph) throw new Error('no graph: not an ONNX model');
  const { hasGraph: _, ...rest } = model;
  return rest;
}

/** Whether `bytes` may be an ONNX model: a protobuf whose first field is ir_version (field 1, varint). */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x08 && bytes[1] >= 3 && bytes[1] <= 12;
}
