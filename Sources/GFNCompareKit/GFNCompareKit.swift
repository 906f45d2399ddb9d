// One import for library users: `import GFNCompareKit` brings every module of the toolkit.
@_exported import Checks
@_exported import Comparison
@_exported import Energies
@_exported import Exact
@_exported import GFlowNets
@_exported import GFNCore
@_exported import MCMC
@_exported import Metrics
@_exported import NeuralMCMC
@_exported import NeuralNet
@_exported import Reporting
@_exported import Settings
