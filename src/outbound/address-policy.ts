import { BlockList, isIP } from "node:net";

/**
 * Which addresses outbound requests (external sources, trigger deliveries) may reach. Recordgate calls URLs that
 * API clients configure, so by default it refuses every address that is not on the public internet: otherwise a
 * collection's source could read the metadata service, the database, or anything else behind the firewall (SSRF).
 * `RECORDGATE_OUTBOUND_ALLOW` lists the exceptions: hostnames, IP addresses and CIDR ranges.
 */
const NON_PUBLIC: ReadonlyArray<readonly [string, number, "ipv4" | "ipv6"]> = [
  ["0.0.0.0", 8, "ipv4"], // "this network"; 0.0.0.0 reaches the local host
  ["10.0.0.0", 8, "ipv4"], // private
  ["100.64.0.0", 10, "ipv4"], // carrier-grade NAT
  ["127.0.0.0", 8, "ipv4"], // loopback
  ["169.254.0.0", 16, "ipv4"], // link-local, including the cloud metadata service 169.254.169.254
  ["172.16.0.0", 12, "ipv4"], // private
  ["192.0.0.0", 24, "ipv4"], // IETF protocol assignments
  ["192.0.2.0", 24, "ipv4"], // documentation
  ["192.168.0.0", 16, "ipv4"], // private
  ["198.18.0.0", 15, "ipv4"], // benchmarking
  ["198.51.100.0", 24, "ipv4"], // documentation
  ["203.0.113.0", 24, "ipv4"], // documentation
  ["224.0.0.0", 4, "ipv4"], // multicast
  ["240.0.0.0", 4, "ipv4"], // reserved, and broadcast
  ["::", 128, "ipv6"], // unspecified
  ["::1", 128, "ipv6"], // loopback
  ["64:ff9b:1::", 48, "ipv6"], // local-use NAT64
  ["100::", 64, "ipv6"], // discard
  ["2001:db8::", 32, "ipv6"], // documentation
  ["fc00::", 7, "ipv6"], // unique local (fd00:ec2::254 is AWS's metadata service)
  ["fe80::", 10, "ipv6"], // link-local
  ["ff00::", 8, "ipv6"], // multicast
];

const nonPublic = new BlockList();
for (const [network, prefix, family] of NON_PUBLIC) nonPublic.addSubnet(network, prefix, family);

/** An IPv4 address written inside IPv6 (`::ffff:10.0.0.1`) is that IPv4 address. */
function unmapped(address: string): { address: string; family: "ipv4" | "ipv6" } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return { address: mapped[1], family: "ipv4" };
  return { address, family: isIP(address) === 6 ? "ipv6" : "ipv4" };
}

export class OutboundPolicyError extends Error {}

export class AddressPolicy {
  private readonly allowedHosts = new Set<string>();
  private readonly allowedAddresses = new BlockList();

  /** `allow`: comma-separated hostnames, IP addresses and CIDR ranges (RECORDGATE_OUTBOUND_ALLOW). */
  constructor(allow = "") {
    for (const raw of allow.split(",")) {
      const entry = raw.trim().toLowerCase();
      if (!entry) continue;
      const [network, prefix, extra] = entry.split("/");
      const family = isIP(network ?? "");
      if (family && prefix !== undefined && extra === undefined && /^\d{1,3}$/.test(prefix)) {
        const bits = Number(prefix);
        if (bits > (family === 4 ? 32 : 128)) throw new OutboundPolicyError(`'${entry}' is not a CIDR range`);
        this.allowedAddresses.addSubnet(network as string, bits, family === 4 ? "ipv4" : "ipv6");
      } else if (family && prefix === undefined) {
        this.allowedAddresses.addAddress(entry, family === 4 ? "ipv4" : "ipv6");
      } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(entry)) {
        this.allowedHosts.add(entry);
      } else {
        throw new OutboundPolicyError(`'${entry}' is neither a hostname, an IP address nor a CIDR range`);
      }
    }
  }

  /** Whether the allow-list names this host (as a hostname, or as an IP address it covers). */
  allowsHost(hostname: string): boolean {
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
    if (this.allowedHosts.has(host)) return true;
    if (!isIP(host)) return false;
    const ip = unmapped(host);
    return this.allowedAddresses.check(ip.address, ip.family);
  }

  /** Whether a request to `hostname` may connect to `address` (what DNS gave for it). */
  allows(hostname: string, address: string): boolean {
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
    if (this.allowedHosts.has(host)) return true;
    const ip = unmapped(address);
    if (this.allowedAddresses.check(ip.address, ip.family)) return true;
    return !nonPublic.check(ip.address, ip.family);
  }
}
