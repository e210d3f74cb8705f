import { execFile } from 'node:child_process';

/** The desktop's one door to OS command-line tools (osascript); tests replace it with recorded outputs. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type RunCommand = (cmd: string, args: string[]) => Promise<CommandResult>;

/** execFile, never a shell; a non-zero exit is a result for the caller to read, not an exception. */
export const execFileCommand: RunCommand = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 30_000, windowsHide: true }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
