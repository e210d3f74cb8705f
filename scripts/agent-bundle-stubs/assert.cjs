// The agent bundle's assert for sonic-boom (see index.mjs), which calls it as assert(condition, message).
/**
 * @param {unknown} condition
 * @param {string} [message]
 */
module.exports = function assert(condition, message) {
  if (!condition) throw new Error(message);
};
