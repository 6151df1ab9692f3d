// crypto.randomUUID where the browser withholds it: browsers give it only to HTTPS pages and
// localhost, and ODK Web Forms 0.22 calls it for every uuid() (each form's instanceID) and
// for the device id, so over plain HTTP on a LAN no form would open. This is the same
// version-4 UUID, from crypto.getRandomValues, which every page has. Imported before the
// engine, so it is in place when the engine first asks.
if (globalThis.crypto && typeof globalThis.crypto.randomUUID !== "function") {
  Object.defineProperty(Object.getPrototypeOf(globalThis.crypto), "randomUUID", {
    configurable: true,
    writable: true,
    value: function randomUUID() {
      const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
      bytes[6] = (bytes[6] & 0x0f) | 0x40;      // version 4
      bytes[8] = (bytes[8] & 0x3f) | 0x80;      // the RFC 4122 variant
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  });
}
