using System.Runtime.InteropServices;

namespace TypedBatch.Emulator;

/// <summary>Completes <see cref="Task"/> on Ctrl+C (SIGINT) or SIGTERM, instead of letting the process die mid-request.</summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly TaskCompletionSource _signalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public ShutdownSignal()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Completes when a shutdown signal arrives.</summary>
    public Task Task => _signalled.Task;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _signalled.TrySetResult();
    }
}
