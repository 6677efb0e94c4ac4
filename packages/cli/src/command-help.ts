/**
 * One command's part of the general help: every section whose first line is `  gatehouse COMMAND`
 * (a section runs until the next one or a blank line), so each command's help stays where it is
 * written, once.
 */
export function commandHelp(help: string, command: string): string | undefined {
  const sections: string[] = [];
  let current: string[] | undefined;
  for (const line of help.split('\n')) {
    if (line.startsWith('  gatehouse ')) {
      current = line.startsWith(`  gatehouse ${command} `) || line === `  gatehouse ${command}` ? [] : undefined;
      if (current) sections.push('');
    } else if (line.trim() === '' || !line.startsWith('   ')) {
      current = undefined;
    }
    if (current) sections[sections.length - 1] += `${line}\n`;
  }
  return sections.length > 0 ? `Usage:\n${sections.join('')}` : undefined;
}
