/**
 * The PowerShell the Windows agent runs, one fixed script per operation (Windows PowerShell 5.1, as root =
 * LocalSystem). Each reads its parameters as JSON from stdin and prints exactly one compressed JSON object:
 * the WMI method's `ReturnValue` (an HRESULT, 0 = success) and its out-parameters, or on an exception
 * `{error, hresult}` with exit code 1. WMI's own names are kept (Win32_EncryptableVolume), so a recorded
 * output reads like the Microsoft documentation.
 *
 * Parameters never become script text: a device ID is compared with `-eq`, never spliced into a WQL filter.
 */

const PRELUDE = `$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = [Console]::In.ReadToEnd() | ConvertFrom-Json
$ns = 'root/CIMV2/Security/MicrosoftVolumeEncryption'
function Out-Json($o) { [Console]::Out.Write(($o | ConvertTo-Json -Compress -Depth 6)) }
function Find-EncryptableVolume {
  $v = @(Get-CimInstance -Namespace $ns -ClassName Win32_EncryptableVolume | Where-Object { $_.DeviceID -eq $p.deviceId })
  if ($v.Count -ne 1) { throw "no encryptable volume $($p.deviceId)" }
  $v[0]
}
function Invoke-Volume($name, $arguments) {
  $v = Find-EncryptableVolume
  if ($arguments) { Invoke-CimMethod -InputObject $v -MethodName $name -Arguments $arguments }
  else { Invoke-CimMethod -InputObject $v -MethodName $name }
}
`;

function script(body: string): string {
  return `${PRELUDE}try {\n${body}\n} catch {\n  Out-Json @{ error = $_.Exception.Message; hresult = [int64]($_.Exception.HResult -band 0xFFFFFFFFL) }\n  exit 1\n}\n`;
}

/** Everything the module decides from, in one run: OS, TPM, FVE policy, and every volume with its protectors. */
const READ_STATE = String.raw`$os = Get-CimInstance -ClassName Win32_OperatingSystem
$tpm = $null
try {
  $t = Get-CimInstance -Namespace 'root/CIMV2/Security/MicrosoftTpm' -ClassName Win32_Tpm
  if ($t) { $tpm = @{ IsEnabled = [bool]$t.IsEnabled_InitialValue; IsActivated = [bool]$t.IsActivated_InitialValue; IsOwned = [bool]$t.IsOwned_InitialValue; SpecVersion = [string]$t.SpecVersion } }
} catch {}
$policy = @{}
$fve = 'HKLM:\SOFTWARE\Policies\Microsoft\FVE'
if (Test-Path $fve) {
  $item = Get-ItemProperty -Path $fve
  foreach ($n in 'OSEncryptionType','FDVEncryptionType','EncryptionMethodWithXtsOs','EncryptionMethodWithXtsFdv','OSRecovery','OSRecoveryPassword','FDVRecovery','FDVRecoveryPassword','UseAdvancedStartup','UseTPM') {
    if ($null -ne $item.$n) { $policy[$n] = [int64]$item.$n }
  }
}
$volumes = @(Get-CimInstance -Namespace $ns -ClassName Win32_EncryptableVolume | ForEach-Object {
  $v = $_
  $conv = Invoke-CimMethod -InputObject $v -MethodName GetConversionStatus
  $prot = Invoke-CimMethod -InputObject $v -MethodName GetProtectionStatus
  $meth = Invoke-CimMethod -InputObject $v -MethodName GetEncryptionMethod
  $ids = (Invoke-CimMethod -InputObject $v -MethodName GetKeyProtectors -Arguments @{ KeyProtectorType = [uint32]0 }).VolumeKeyProtectorID
  $protectors = @(foreach ($id in @($ids)) { if ($id) {
    @{ Id = [string]$id; Type = [int](Invoke-CimMethod -InputObject $v -MethodName GetKeyProtectorType -Arguments @{ VolumeKeyProtectorID = $id }).KeyProtectorType }
  } })
  @{
    DeviceID = [string]$v.DeviceID; DriveLetter = [string]$v.DriveLetter; VolumeType = [int]$v.VolumeType
    IsVolumeInitializedForProtection = [bool]$v.IsVolumeInitializedForProtection
    ConversionReturnValue = [int64]$conv.ReturnValue; ConversionStatus = [int]$conv.ConversionStatus
    EncryptionPercentage = [int]$conv.EncryptionPercentage; ProtectionStatus = [int]$prot.ProtectionStatus
    EncryptionMethod = [int]$meth.EncryptionMethod; KeyProtectors = $protectors
  }
})
Out-Json @{ OS = @{ ProductType = [int]$os.ProductType; Caption = [string]$os.Caption; Version = [string]$os.Version }; Tpm = $tpm; Policy = $policy; Volumes = $volumes }`;

const HOST_IDENTITY = `$csp = Get-CimInstance -ClassName Win32_ComputerSystemProduct
$bios = Get-CimInstance -ClassName Win32_BIOS
$os = Get-CimInstance -ClassName Win32_OperatingSystem
Out-Json @{ UUID = [string]$csp.UUID; SerialNumber = [string]$bios.SerialNumber; Caption = [string]$os.Caption; Version = [string]$os.Version }`;

const method = (call: string, out = '') =>
  `$r = ${call}\nOut-Json @{ ReturnValue = [int64]$r.ReturnValue${out} }`;

export const BITLOCKER_SCRIPTS = {
  'read-state': script(READ_STATE),
  'host-identity': script(HOST_IDENTITY),
  // Software encryption: hardware (eDrive) encryption has had firmware flaws (ADV180028).
  'prepare-volume': script(
    method(
      "Invoke-Volume 'PrepareVolume' @{ DiscoveryVolumeType = '<default>'; ForceEncryptionType = [uint32]1 }",
    ),
  ),
  // No NumericalPassword argument: Windows generates the 48 digits, so they are never in our argv or stdin.
  'add-recovery-password': script(
    method(
      "Invoke-Volume 'ProtectKeyWithNumericalPassword' @{ FriendlyName = 'Escrow Desktop' }",
      '; VolumeKeyProtectorID = [string]$r.VolumeKeyProtectorID',
    ),
  ),
  'read-recovery-password': script(
    method(
      "Invoke-Volume 'GetKeyProtectorNumericalPassword' @{ VolumeKeyProtectorID = [string]$p.protectorId }",
      '; NumericalPassword = [string]$r.NumericalPassword',
    ),
  ),
  'add-tpm-protector': script(
    method(
      "Invoke-Volume 'ProtectKeyWithTPM' $null",
      '; VolumeKeyProtectorID = [string]$r.VolumeKeyProtectorID',
    ),
  ),
  encrypt: script(
    method(
      "Invoke-Volume 'Encrypt' @{ EncryptionMethod = [uint32]$p.method; EncryptionFlags = [uint32]$p.flags }",
    ),
  ),
  'delete-protector': script(
    method("Invoke-Volume 'DeleteKeyProtector' @{ VolumeKeyProtectorID = [string]$p.protectorId }"),
  ),
} as const;

export type BitLockerOp = keyof typeof BITLOCKER_SCRIPTS;
