/**
 * Topic patterns such as `sensors/{deviceId}/{sensor}`: each level is a literal, a named capture `{name}`,
 * MQTT's single-level `+`, or a trailing multi-level `#`. One capture may span levels, `{name#}`: it takes one or
 * more levels, all those the levels after it leave (`zigbee2mqtt/{deviceId#}` gives `kitchen/floor_light`).
 */
export interface TopicPattern {
  source: string;
  match(topic: string): Record<string, string> | undefined;
  names: string[];
}

type Level = { kind: 'literal'; text: string } | { kind: 'capture'; name: string } | { kind: 'span'; name: string } | { kind: 'single' } | { kind: 'multi' };

export function compileTopicPattern(source: string): { pattern: TopicPattern } | { error: string } {
  const levels: Level[] = [];
  const parts = source.split('/');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === '#') {
      if (i !== parts.length - 1) return { error: `"#" must be the last level of the topic pattern "${source}"` };
      levels.push({ kind: 'multi' });
    } else if (part === '+') {
      levels.push({ kind: 'single' });
    } else if (/^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(part)) {
      levels.push({ kind: 'capture', name: part.slice(1, -1) });
    } else if (/^\{[A-Za-z_][A-Za-z0-9_]*#\}$/.test(part)) {
      if (levels.some((l) => l.kind === 'span')) return { error: `the topic pattern "${source}" has more than one capture that spans levels` };
      levels.push({ kind: 'span', name: part.slice(1, -2) });
    } else if (/[{}+#]/.test(part)) {
      return { error: `level "${part}" of the topic pattern "${source}" mixes text with a wildcard` };
    } else {
      levels.push({ kind: 'literal', text: part });
    }
  }
  const spanAt = levels.findIndex((l) => l.kind === 'span');
  if (spanAt !== -1 && levels.some((l) => l.kind === 'multi')) return { error: `the topic pattern "${source}" has both a capture that spans levels and "#"` };
  const names = levels.flatMap((l) => (l.kind === 'capture' || l.kind === 'span' ? [l.name] : []));
  const matchLevels = (topicLevels: string[], from: number, to: number, offset: number, captures: Record<string, string>): boolean => {
    for (let i = from; i < to; i++) {
      const level = levels[i];
      const text = topicLevels[i + offset];
      if (level.kind === 'literal' && level.text !== text) return false;
      if (level.kind === 'capture') {
        if (text === '') return false;
        captures[level.name] = text;
      }
    }
    return true;
  };
  const match = (topic: string): Record<string, string> | undefined => {
    const topicLevels = topic.split('/');
    if (spanAt !== -1) {
      // Levels before the span match from the start, those after it from the end; the span takes the rest.
      const after = levels.length - spanAt - 1;
      const spanLength = topicLevels.length - spanAt - after;
      if (spanLength < 1) return undefined;
      const captures: Record<string, string> = {};
      if (!matchLevels(topicLevels, 0, spanAt, 0, captures)) return undefined;
      if (!matchLevels(topicLevels, spanAt + 1, levels.length, spanLength - 1, captures)) return undefined;
      const spanned = topicLevels.slice(spanAt, spanAt + spanLength).join('/');
      if (spanned === '' || topicLevels.slice(spanAt, spanAt + spanLength).includes('')) return undefined;
      captures[(levels[spanAt] as { name: string }).name] = spanned;
      return captures;
    }
    const captures: Record<string, string> = {};
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (level.kind === 'multi') return captures;
      if (i >= topicLevels.length) return undefined;
      const text = topicLevels[i];
      if (level.kind === 'literal' && level.text !== text) return undefined;
      if (level.kind === 'capture') {
        if (text === '') return undefined;
        captures[level.name] = text;
      }
    }
    return topicLevels.length === levels.length ? captures : undefined;
  };
  return { pattern: { source, match, names } };
}
