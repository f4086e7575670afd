/**
 * Reused work buffers of the CPU convolution kernels, by name: every use
 * overwrites what it then reads, so large im2col matrices and transformed
 * data are neither allocated (fresh pages fault in) nor zeroed per call.
 * Each name belongs to one kernel step; two buffers live at once must have
 * different names.
 *
 * @module
 */

const buffers = new Map<string, Float32Array>();

/**
 * The buffer `name`, at least `size` floats (grown when needed), as a view
 * of exactly `size` floats holding whatever the last use left.
 *
 * @param name The buffer's name.
 * @param size Floats needed.
 * @returns The view.
 */
export function scratch(name: string, size: number): Float32Array {
  let b = buffers.get(name);
  if (!b || b.length < size) {
    b = new Float32Array(size);
    buffers.set(name, b);
  }
  return b.subarray(0, size);
}
