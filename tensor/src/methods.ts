/**
 * Connects Tensor's methods to the op functions (see `installTensorOps`).
 *
 * @module
 */
import { installTensorOps } from "./tensor.ts";
import * as A from "./ops/arith.ts";
import * as C from "./ops/compare.ts";
import * as M from "./ops/movement.ts";
import * as R from "./ops/reduce.ts";
import * as L from "./ops/matmul.ts";
import * as I from "./ops/inplace.ts";

installTensorOps({ ...A, ...C, ...M, ...R, ...L, ...I });
