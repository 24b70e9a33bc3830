/**
 * Topics as brokers enforce MQTT 3.1.1 §1.5.3 / MQTT 5 §1.5.4 on a PUBLISH: a topic they refuse makes them drop
 * the whole connection (mosquitto does), and with it every other device's commands.
 */

/** Bytes of UTF-8 a topic may take (a two-byte length prefix). */
export const MAX_TOPIC_BYTES = 65535;

/** The 32 noncharacters above the BMP: U+1FFFE, U+1FFFF, …, U+10FFFE, U+10FFFF. */
const ASTRAL_NONCHARACTERS = Array.from({ length: 16 }, (_, i) => {
  const plane = (i + 1).toString(16).toUpperCase();
  return `\\u{${plane}FFFE}\\u{${plane}FFFF}`;
}).join('');

/**
 * Wildcards, U+0000, control characters (U+0001–U+001F, U+007F–U+009F), noncharacters, and lone surrogates
 * (`\p{Cs}` under the u flag matches only those): UTF-8 cannot carry a lone surrogate, and Node writes U+FFFD in its
 * place, so two different ids would meet on one topic.
 */
const FORBIDDEN = new RegExp(`[+#\\u0000-\\u001F\\u007F-\\u009F\\uFDD0-\\uFDEF\\uFFFE\\uFFFF${ASTRAL_NONCHARACTERS}\\p{Cs}]`, 'u');

function describe(char: string): string {
  if (char === '+' || char === '#') return 'MQTT wildcards (+, #)';
  const code = char.codePointAt(0) ?? 0;
  const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code >= 0xd800 && code <= 0xdfff) return `${name} (a lone surrogate, not UTF-8)`;
  if (code <= 0x9f) return code === 0 ? name : `${name} (a control character)`;
  return `${name} (a noncharacter)`;
}

/** What in a topic (or a topic template) a broker would refuse, whatever fills its placeholders. */
export function forbiddenInTopic(topic: string): string | undefined {
  const found = FORBIDDEN.exec(topic);
  return found ? describe(found[0]) : undefined;
}

/** Why a filled topic cannot be published to, or undefined when it can. Empty levels (`a//b`) are fine. */
export function topicProblem(topic: string): string | undefined {
  if (topic === '') return 'is empty';
  const forbidden = forbiddenInTopic(topic);
  if (forbidden) return `holds ${forbidden}`;
  // At most 3 bytes of UTF-8 per UTF-16 unit: only a long topic needs counting.
  if (topic.length * 3 > MAX_TOPIC_BYTES) {
    const bytes = Buffer.byteLength(topic, 'utf8');
    if (bytes > MAX_TOPIC_BYTES) return `is ${bytes} bytes of UTF-8, over the ${MAX_TOPIC_BYTES} MQTT allows`;
  }
  return undefined;
}

/**
 * When each topic last got a new command. The cooldown holds per topic as well as per deviceId: different ids
 * can render to one topic (`cmnd/{deviceId}/{label}` with `a/b` + `c` and `a` + `b/c`), and the topic is what the
 * device receives. Only topics still inside their cooldown are kept, at most `max` of them.
 */
export class TopicCooldowns {
  /** In the order of their last command, oldest first. */
  private readonly sentAt = new Map<string, number>();

  constructor(
    private readonly cooldown: number,
    private readonly max: number,
  ) {}

  lastSentAt(topic: string): number | undefined {
    return this.sentAt.get(topic);
  }

  /**
   * Notes a new command on `topic`. Returns the latest time among the topics it forgot (over, or past `max`), for
   * the caller to hold unknown topics to, so forgetting never shortens a cooldown (not even if the clock steps back).
   */
  sent(topic: string, now: number): number | undefined {
    if (this.cooldown <= 0) return undefined;
    this.sentAt.delete(topic);
    this.sentAt.set(topic, now);
    let forgotten: number | undefined;
    for (const [oldest, at] of this.sentAt) {
      const over = now - at >= this.cooldown;
      if (oldest === topic || (!over && this.sentAt.size <= this.max)) break;
      this.sentAt.delete(oldest);
      forgotten = Math.max(forgotten ?? at, at);
    }
    return forgotten;
  }

  entries(): Array<{ topic: string; lastSentAt: number }> {
    return [...this.sentAt].map(([topic, lastSentAt]) => ({ topic, lastSentAt }));
  }

  /** Entries from a snapshot (oldest first); returns the latest time among those past `max`, as `sent` does. */
  restore(raw: unknown): number | undefined {
    if (this.cooldown <= 0 || !Array.isArray(raw)) return undefined;
    let forgotten: number | undefined;
    raw.forEach((entry, index) => {
      const { topic, lastSentAt } = (entry ?? {}) as { topic?: unknown; lastSentAt?: unknown };
      if (typeof topic !== 'string' || typeof lastSentAt !== 'number' || !Number.isFinite(lastSentAt)) return;
      if (index < raw.length - this.max) {
        forgotten = Math.max(forgotten ?? lastSentAt, lastSentAt);
        return;
      }
      this.sentAt.delete(topic);
      this.sentAt.set(topic, lastSentAt);
    });
    return forgotten;
  }
}
