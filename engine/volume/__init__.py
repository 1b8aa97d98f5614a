"""CT/MR volumes (kidney and tumour): 3D inference, evaluation and the command-line batch."""
