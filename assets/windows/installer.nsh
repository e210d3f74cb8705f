; Included by electron-builder's NSIS installer (nsis.include in electron-builder.yml).
; Starts the tray app at every user's login through the machine-wide Run key, and removes the entry on
; uninstall. Per-machine because the app is installed per machine (nsis.perMachine).
; Also moves the agent executable out of the app's folder into its own folder in Program Files, writable
; by administrators only (docs/decisions/0005-agent-executable.md); escrowctl.exe is the same executable
; under its own name (a hard link: it picks its program by the name it was started as).
; The agent runs as SYSTEM from a scheduled task started at boot (decision 0022: a plain executable cannot
; answer the Windows service control manager without native code). The task is registered when the
; installer is given the server, `/SERVER=https://…`; the enroll secret is a file IT puts in
; %ProgramData%\EscrowAgent\enroll-secret beforehand. That folder (enroll secret, node key, BitLocker
; journal) is made readable by SYSTEM and Administrators only.

!include "FileFunc.nsh"

!define ESCROW_AGENT_DIR "$PROGRAMFILES64\Escrow Desktop Agent"
!define ESCROW_DATA_DIR "$COMMONAPPDATA\EscrowAgent"
!define ESCROW_TASK "Escrow Desktop Agent"

!macro customInstall
  ; An upgrade replaces the executable: the running agent stops first (its journal finishes the work at start).
  nsExec::ExecToLog '"$SYSDIR\schtasks.exe" /End /TN "${ESCROW_TASK}"'
  CreateDirectory "${ESCROW_DATA_DIR}\state"
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "${ESCROW_DATA_DIR}" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F /T'
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Run" "EscrowDesktop" '"$INSTDIR\${APP_EXECUTABLE_FILENAME}"'

  CreateDirectory "${ESCROW_AGENT_DIR}"
  Delete "${ESCROW_AGENT_DIR}\escrowctl.exe"
  Delete "${ESCROW_AGENT_DIR}\escrow-agent.exe"
  ClearErrors
  Rename "$INSTDIR\resources\agent\escrow-agent.exe" "${ESCROW_AGENT_DIR}\escrow-agent.exe"
  IfErrors 0 +2
    CopyFiles /SILENT "$INSTDIR\resources\agent\escrow-agent.exe" "${ESCROW_AGENT_DIR}"
  System::Call 'kernel32::CreateHardLinkW(w "${ESCROW_AGENT_DIR}\escrowctl.exe", w "${ESCROW_AGENT_DIR}\escrow-agent.exe", p 0) i .r0'

  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/SERVER=" $R1
  IfErrors escrow_no_server
    nsExec::ExecToLog '"$SYSDIR\schtasks.exe" /Create /F /TN "${ESCROW_TASK}" /RU SYSTEM /SC ONSTART /RL HIGHEST /TR "\"${ESCROW_AGENT_DIR}\escrow-agent.exe\" run --server $R1 --enroll-secret-file \"${ESCROW_DATA_DIR}\enroll-secret\" --state-dir \"${ESCROW_DATA_DIR}\state\""'
    nsExec::ExecToLog '"$SYSDIR\schtasks.exe" /Run /TN "${ESCROW_TASK}"'
    Goto escrow_task_done
  escrow_no_server:
    ; No server given: an upgrade keeps the task it had; a first install leaves the agent unregistered.
    nsExec::ExecToLog '"$SYSDIR\schtasks.exe" /Run /TN "${ESCROW_TASK}"'
  escrow_task_done:
!macroend

!macro customUnInstall
  ; BitLocker stays on: uninstalling never decrypts. The state folder is kept for a reinstall.
  nsExec::ExecToLog '"$SYSDIR\schtasks.exe" /End /TN "${ESCROW_TASK}"'
  nsExec::ExecToLog '"$SYSDIR\schtasks.exe" /Delete /F /TN "${ESCROW_TASK}"'
  DeleteRegValue HKLM "Software\Microsoft\Windows\CurrentVersion\Run" "EscrowDesktop"
  RMDir /r "${ESCROW_AGENT_DIR}"
!macroend
