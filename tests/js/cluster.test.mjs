// node --test tests/js/: the Train view's capacity card text and node folding (lib/cluster.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  amount, executorName, foldNodes, loadText, moreText, nodeText, ranOnText, ranOnTitle, shortId, totalsText,
} from "../../frontend/js/lib/cluster.js";

const node = (id, alive = true, cpus = 8, gpus = 0) => ({ id, address: `10.0.0.${id}`, cpus, gpus, alive });
const local = { executor: "local", nodes: [node("box", true, 16)], cpus: 16, gpus: 0, slots: 2, busy: 1, queued: 3 };

test("the executor is named for people", () => {
  assert.equal(executorName("local"), "This machine");
  assert.equal(executorName("ray"), "Ray cluster");
  assert.equal(executorName("dask"), "dask");
  assert.equal(executorName(undefined), "unknown");
});

test("busy of slots, and the queue", () => {
  assert.equal(loadText(local), "1/2 training, 3 queued");
  assert.equal(loadText({ ...local, busy: 0, queued: 0 }), "0/2 training, 0 queued");
  assert.equal(loadText({ ...local, warm: 1 }), "1/2 training, 3 queued · 1 worker ready");
  assert.equal(loadText({ ...local, warm: 2 }), "1/2 training, 3 queued · 2 workers ready");
});

test("one node's totals without a node count; several counted, the dead ones told", () => {
  assert.equal(totalsText(local), "16 CPUs · 0 GPUs");
  const ray = { nodes: [node(1, true, 8, 1), node(2, true, 8, 1)], cpus: 16, gpus: 2 };
  assert.equal(totalsText(ray), "2 nodes · 16 CPUs · 2 GPUs");
  const hurt = { nodes: [node(1), node(2, false), node(3)], cpus: 16, gpus: 1 };
  assert.equal(totalsText(hurt), "2 of 3 nodes alive · 16 CPUs · 1 GPU");
});

test("amounts: whole numbers plain, Ray's fractions to one decimal, singular for one", () => {
  assert.equal(amount(4), "4");
  assert.equal(amount(0.5), "0.5");
  assert.equal(amount(undefined), "0");
  assert.equal(nodeText(node(1, true, 1, 1)), "1 CPU · 1 GPU");
  assert.equal(nodeText(node(1, true, 2.5, 0)), "2.5 CPUs · 0 GPUs");
  assert.equal(nodeText(node(1, false)), "dead");
});

test("a few nodes all show; many fold after the first few, dead ones first", () => {
  const few = [node(1), node(2), node(3)];
  assert.deepEqual(foldNodes(few, 4), { shown: few, more: 0, moreDead: 0 });
  const five = [1, 2, 3, 4, 5].map((i) => node(i));
  assert.equal(foldNodes(five, 4).more, 0, "one hidden node would take the line '+1 more' takes");
  const many = Array.from({ length: 12 }, (_, i) => node(i, i !== 9 && i !== 11));
  const f = foldNodes(many, 4);
  assert.deepEqual(f.shown.map((n) => n.id), [9, 11, 0, 1]);
  assert.equal(f.more, 8);
  assert.equal(f.moreDead, 0);
  assert.equal(moreText(f), "+8 more");
  const lots = Array.from({ length: 10 }, (_, i) => node(i, i < 4));
  const g = foldNodes(lots, 2);
  assert.equal(g.shown.every((n) => !n.alive), true);
  assert.equal(moreText(g), "+8 more (4 dead)");
  assert.equal(moreText(foldNodes(few)), "");
});

test("where a run trained, short and long", () => {
  assert.equal(ranOnText(null), "");
  assert.equal(ranOnTitle(undefined), "");
  const here = { executor: "local", node: "box", device: "cpu", pid: 4242 };
  assert.equal(ranOnText(here), "cpu · box");
  assert.equal(ranOnTitle(here), "local executor, node box, cpu, worker pid 4242");
  const ray = { executor: "ray", node: "node-3", device: "cuda" };
  assert.equal(ranOnText(ray), "cuda · ray:node-3");
  assert.equal(ranOnTitle(ray), "ray executor, node node-3, cuda");
});

test("Ray's long node ids show by their first 8 digits, host names whole", () => {
  const id = "d8bcf55650c056a6a5026d26768e3f8cd7356b1b48ad50dd4abce20d";
  assert.equal(shortId(id), "d8bcf556");
  assert.equal(shortId("box-1"), "box-1");
  assert.equal(ranOnText({ executor: "ray", node: id, device: "cpu" }), "cpu · ray:d8bcf556");
});
