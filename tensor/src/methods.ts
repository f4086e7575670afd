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
import * as E from "./ops/elementwise/mod.ts";
import * as Red from "./ops/reduction/mod.ts";
import * as S from "./ops/shape/mod.ts";

installTensorOps({ ...A, ...C, ...M, ...R, ...L, ...I, ...E, ...Red, ...S });
