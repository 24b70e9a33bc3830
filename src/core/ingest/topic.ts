/**
 * Topic patterns such as `sensors/{deviceId}/{sensor}`: each level is a literal, a named capture `{name}`,
 * MQTT's single-level `+`, or a trailing multi-level `#`.
 */
export interface TopicPattern {
  source: string;
  match(topic: string): Record<string, string> | undefined;
  names: string[];
}

type Level = { kind: 'literal'; text: string } | { kind: 'capture'; name: string } | { kind: 'single' } | { kind: 'multi' };

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
    } else if (/[{}+#]/.test(part)) {
      return { error: `level "${part}" of the topic pattern "${source}" mixes text with a wildcard` };
    } else {
      levels.push({ kind: 'literal', text: part });
    }
  }
  const names = levels.flatMap((l) => (l.kind === 'capture' ? [l.name] : []));
  const match = (topic: string): Record<string, string> | undefined => {
    const topicLevels = topic.split('/');
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
