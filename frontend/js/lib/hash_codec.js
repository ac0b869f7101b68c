// A whole design in the URL: "#design/<base64url of the spec JSON>" (no padding),
// so a link restores the network in a fresh page. UTF-8 safe (names may be any text).

export function encodeSpec(spec) {
  const bytes = new TextEncoder().encode(JSON.stringify(spec));
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The spec in a hash fragment, or null when it is not one (never throws). */
export function decodeSpec(text) {
  try {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const spec = JSON.parse(new TextDecoder().decode(bytes));
    return spec && typeof spec === "object" && Array.isArray(spec.layers) ? spec : null;
  } catch {
    return null;
  }
}
