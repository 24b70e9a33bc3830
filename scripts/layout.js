// The sample flows' layout, shared by scripts/flows.js (which places nodes with it) and the layout tests (which
// check no two nodes' boxes intersect and each tab fits a 1920 x 1080 workspace at the default zoom).
//
// A node's box is what the Node-RED editor (4.x, @node-red/editor-client view.js) draws:
//   width  = max(100, 20 * ceil((label text width + 50 + (inputs > 0 ? 7 : 0)) / 20))
//   height = max(30, outputs * 15, 6 + 24 * label lines)
// centred on the node's x, y; plus a button of 32 px outside the node for inject (left) and debug (right), and
// the status row the editor draws under the node (3 px below it, 13 px high, from x + 3 on, its text at x + 20).
// The label is 14px in the editor's font (Helvetica Neue, Arial, ...): measured here with Helvetica's metrics
// (Arial and Liberation Sans share them) and 10% to spare for a wider fallback font.
'use strict';

/** Helvetica advance widths (1/1000 em) for printable ASCII 32..126. */
const HELVETICA = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space ! " # $ % & ' ( ) * + , - . /
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0-9 : ; < = > ?
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ A-O
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P-Z [ \ ] ^ _
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` a-o
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p-z { | } ~
];
const SPARE = 1.1;

/** Text width in px of `text` at `size` px, conservatively (Helvetica metrics + 10%). */
function textWidth(text, size = 14) {
  let units = 0;
  for (const ch of String(text)) {
    const code = ch.codePointAt(0);
    units += code >= 32 && code <= 126 ? HELVETICA[code - 32] : 1000;
  }
  return Math.ceil((units / 1000) * size * SPARE);
}

/** The label the editor shows for a node (its name, else the type's own label function, as in its editor.js). */
function labelOf(node, byId = new Map()) {
  if (node.name) return node.name;
  switch (node.type) {
    case 'mqtt in':
    case 'mqtt out':
      return node.topic || 'mqtt';
    case 'debug':
      return node.complete === 'true' ? 'msg' : node.complete === 'false' ? 'msg.payload' : `msg.${node.complete}`;
    case 'sensor-ingest':
      return node.profile && node.profile !== 'generic' ? `ingest ${node.profile}` : node.topicPattern ? `ingest ${node.topicPattern}` : 'sensor ingest';
    case 'feature-window': {
      const unit = node.unit === 'count' ? ' readings' : node.unit;
      return node.window === 'sliding' ? `sliding ${node.size}${unit} / ${node.slide}${unit}` : `${node.window} ${node.size}${unit}`;
    }
    case 'model-predict': {
      const config = byId.get(node.model);
      return config ? `predict: ${config.name || config.bundled || config.path}` : 'model predict';
    }
    case 'model-train':
      return node.task === 'anomaly' ? 'anomaly train' : 'model train';
    case 'anomaly-detect':
      return `anomaly: ${node.method || 'forecast'}`;
    case 'sensor-sim':
      return `${node.scenario || 'home'} sim`;
    case 'actuator-command':
      return 'actuator command';
    default:
      return node.type;
  }
}

/** Nodes whose runtime shows a status under them, and the longest status text they show in the examples. */
const STATUS_CHARS = {
  'mqtt in': 12, // "disconnected"
  'mqtt out': 12,
  'sensor-sim': 30,
  'sensor-ingest': 30,
  'feature-window': 30,
  'model-predict': 30,
  'model-train': 30,
  'anomaly-detect': 30,
  'actuator-command': 30,
};
const STATUS_TOP = 3;
const STATUS_HEIGHT = 16;
const BUTTON = 26;

/** The box a node takes on the canvas (label, ports and button): { left, top, right, bottom, label, width, height }. */
function nodeBox(node, byId = new Map()) {
  const label = labelOf(node, byId);
  const inputs = node.type === 'mqtt in' || node.type === 'inject' || node.type === 'comment' ? 0 : 1;
  const outputs = node.type === 'comment' || node.type === 'debug' || node.type === 'mqtt out' ? 0 : Array.isArray(node.wires) ? node.wires.length : 1;
  const width = Math.max(100, 20 * Math.ceil((textWidth(label) + 50 + (inputs > 0 ? 7 : 0)) / 20));
  const height = Math.max(30, outputs * 15);
  let left = node.x - width / 2;
  let right = node.x + width / 2;
  if (node.type === 'inject') left -= BUTTON;
  if (node.type === 'debug') right += BUTTON;
  return { left, top: node.y - height / 2, right, bottom: node.y + height / 2, label, width, height };
}

/** The status row under a node (for nodes that show one), as long as the longest status text it shows. */
function statusBox(node, byId = new Map()) {
  const chars = node.type === 'debug' ? (node.tostatus ? 24 : 0) : STATUS_CHARS[node.type];
  if (!chars) return undefined;
  const box = nodeBox(node, byId);
  const left = node.x - box.width / 2 + 3;
  const top = node.y + box.height / 2 + STATUS_TOP;
  return { left, top, right: left + 17 + textWidth('x'.repeat(chars), 12), bottom: top + STATUS_HEIGHT };
}

/**
 * Places the nodes of one tab on a grid: each node comes with x = its column and y = its row; columns are as wide
 * as their widest node, GAP apart, and each node is left-aligned in its column (a comment, which takes its row, from
 * its column on). Returns the nodes with x, y in pixels (the node's centre, as Node-RED saves it).
 */
const GAP = 45;
const ROW = 60;
const MARGIN = 40;
function placeOnGrid(all, byId) {
  // Only nodes drawn on the canvas: config nodes (the broker, ml-model) have no x and y and must keep none.
  const nodes = all.filter((n) => n.type !== 'tab' && typeof n.x === 'number' && typeof n.y === 'number');
  const columns = [];
  for (const node of nodes) {
    if (node.type === 'comment') continue;
    const box = nodeBox({ ...node, x: 0, y: 0 }, byId);
    const status = statusBox({ ...node, x: 0, y: 0 }, byId);
    // A status row may reach into the gap, not under the next column's node.
    const right = Math.max(box.right, status ? status.right - GAP + 10 : -Infinity);
    columns[node.x] = Math.max(columns[node.x] ?? 0, right - box.left);
  }
  const lefts = [MARGIN];
  for (let c = 1; c <= columns.length; c++) lefts[c] = lefts[c - 1] + (columns[c - 1] ?? 0) + GAP;
  for (const node of nodes) {
    const box = nodeBox({ ...node, x: 0, y: 0 }, byId);
    // Centre = column's left edge + the distance from the box's left edge to the centre (the inject's button).
    node.x = Math.round(lefts[node.x] - box.left);
    node.y = MARGIN + node.y * ROW;
  }
  return all;
}

module.exports = { textWidth, labelOf, nodeBox, statusBox, placeOnGrid, ROW, GAP };
